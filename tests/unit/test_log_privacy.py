import logging

from app.web.log_privacy import HideLinkTokens, hide_tokens

TOKEN = "WzEsMF0.0IMQNMUMi62KdPNMpWOml2V5bT5nm_FgBc9FmsMBMhs"


def test_tokens_of_both_links_are_hidden_and_the_rest_kept():
    assert hide_tokens(f"/rendez-vous/annuler/{TOKEN}?etat=annule") == (
        "/rendez-vous/annuler/[jeton]?etat=annule"
    )
    assert hide_tokens(f"/rendez-vous/modifier/{TOKEN}") == "/rendez-vous/modifier/[jeton]"
    assert hide_tokens("/rendez-vous/creneau?semaine=2026-12-07") == (
        "/rendez-vous/creneau?semaine=2026-12-07"
    )


def test_an_access_log_line_as_uvicorn_writes_it_carries_no_token():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5555", "POST", f"/rendez-vous/annuler/{TOKEN}", "1.1", 303),
        None,
    )
    assert HideLinkTokens().filter(record)
    line = record.getMessage()
    assert TOKEN not in line
    assert line == '127.0.0.1:5555 - "POST /rendez-vous/annuler/[jeton] HTTP/1.1" 303'
