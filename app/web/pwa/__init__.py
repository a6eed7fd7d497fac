"""The installable app: service worker, manifest, "Mes rendez-vous", offline pages, push
subscriptions."""
