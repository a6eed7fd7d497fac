from app.booking.contact import display_phone, normalise_phone, validate_contact

VALID = {
    "last_name": "Dupont",
    "first_name": "Camille",
    "email": "Camille.Dupont@Example.org",
    "phone": "06 12 34 56 78",
}


def test_valid_details_are_cleaned_and_normalised():
    details, errors, _ = validate_contact(
        {**VALID, "last_name": "  Du\tpont\r\n ", "email": " camille@EXAMPLE.org "}, []
    )
    assert not errors
    assert details.last_name == "Du pont"  # control characters become single spaces
    assert details.email == "camille@example.org"  # the domain is lower-cased
    assert details.phone == "+33612345678"


def test_every_missing_field_has_its_own_french_message():
    details, errors, values = validate_contact({}, [])
    assert details is None
    assert list(errors.messages) == ["last_name", "first_name", "email", "phone"]
    assert errors.messages["email"] == "Saisissez votre adresse électronique."
    assert values["last_name"] == ""


def test_bad_email_and_phone_are_refused_and_kept_for_correction():
    details, errors, values = validate_contact({**VALID, "email": "camille@", "phone": "123"}, [])
    assert details is None
    assert "adresse électronique valide" in errors.messages["email"]
    assert "téléphone mobile valide" in errors.messages["phone"]
    assert values["email"] == "camille@" and values["phone"] == "123"


def test_phone_must_be_a_mobile():
    assert normalise_phone("01 23 45 67 89") is None  # a landline cannot receive an SMS
    assert normalise_phone("+33 7 81 23 45 67") == "+33781234567"
    assert normalise_phone("0612345678") == "+33612345678"
    assert normalise_phone("+32 470 12 34 56") == "+32470123456"  # Belgian mobile
    assert normalise_phone("pas un numéro") is None


def test_phone_display():
    assert display_phone("+33612345678") == "06 12 34 56 78"
    assert display_phone("+32470123456") == "+32 470 12 34 56"


def test_extra_fields_required_and_bounded():
    fields = [{"name": "predemande", "label": "Numéro de pré-demande", "required": True}]
    details, errors, _ = validate_contact(VALID, fields)
    assert details is None
    assert errors.messages == {"extra_predemande": "Renseignez le champ « Numéro de pré-demande »."}
    details, errors, _ = validate_contact({**VALID, "extra_predemande": "2A3B4C5D6E"}, fields)
    assert details.extra == {"predemande": "2A3B4C5D6E"}


def test_names_too_long_are_refused():
    details, errors, _ = validate_contact({**VALID, "last_name": "x" * 101}, [])
    assert details is None
    assert "100 caractères" in errors.messages["last_name"]


def test_extra_fields_of_kind_number_or_date_check_the_answer():
    from app.booking.contact import validate_contact

    fields = [
        {"name": "dossier", "label": "Numéro de dossier", "required": True, "kind": "number"},
        {"name": "naissance", "label": "Date de naissance", "required": False, "kind": "date"},
    ]
    form = {
        "last_name": "Dupont",
        "first_name": "Camille",
        "email": "camille@example.org",
        "phone": "06 12 34 56 78",
        "extra_dossier": "12a",
        "extra_naissance": "31/02/2010",
    }
    _, errors, _ = validate_contact(form, fields)
    assert (
        errors.messages["extra_dossier"]
        == "Le champ « Numéro de dossier » attend un nombre, en chiffres."
    )
    assert errors.messages["extra_naissance"].startswith(
        "Le champ « Date de naissance » attend une date"
    )
    details, errors, _ = validate_contact(
        {**form, "extra_dossier": "12 345", "extra_naissance": "2010-12-31"}, fields
    )
    assert not errors and details.extra == {"dossier": "12 345", "naissance": "2010-12-31"}
