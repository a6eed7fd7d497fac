from app.booking import wizard

COMPLETE = {
    "type_id": 1,
    "info_seen": True,
    "people": 2,
    "contact": {"last_name": "Dupont"},
    "contact_type_id": 1,
    "slot_start": "2026-12-01T10:00:00+01:00",
}


def test_the_seven_steps_in_the_seed_order():
    assert [s.slug for s in wizard.STEPS] == [
        "type",
        "informations",
        "personnes",
        "coordonnees",
        "creneau",
        "recapitulatif",
        "confirmation",
    ]
    assert wizard.step(5).path == "/rendez-vous/creneau"


def test_first_due_step_follows_the_answers():
    assert wizard.first_due_step({}).number == 1
    assert wizard.first_due_step({"type_id": 1}).number == 2
    assert wizard.first_due_step({k: COMPLETE[k] for k in ("type_id", "info_seen")}).number == 3
    assert wizard.first_due_step(COMPLETE).number == 6


def test_a_step_is_reachable_only_after_the_earlier_answers():
    partial = {"type_id": 1, "info_seen": True}
    assert wizard.reachable(3, partial)
    assert not wizard.reachable(4, partial)
    assert wizard.reachable(6, COMPLETE)
    assert not wizard.reachable(7, COMPLETE)  # only a confirmed draft shows step 7


def test_changing_type_resets_what_depended_on_it():
    changed = wizard.choose_type(COMPLETE, type_id=2, max_people=1)
    assert changed["type_id"] == 2
    assert not changed["info_seen"]
    assert "slot_start" not in changed
    assert "people" not in changed  # 2 people is more than the new type accepts
    assert changed["contact"] == COMPLETE["contact"]  # kept to pre-fill the form
    assert not wizard.is_completed(4, changed)  # but asked again for the new type
    assert wizard.choose_type(COMPLETE, type_id=1, max_people=4) == COMPLETE


def test_changing_people_forgets_the_slot():
    assert "slot_start" not in wizard.set_people(COMPLETE, 3)
    assert wizard.set_people(COMPLETE, 2)["slot_start"] == COMPLETE["slot_start"]
