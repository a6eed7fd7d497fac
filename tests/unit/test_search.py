"""How an agent's search text is read: reference, e-mail, phone number or name."""

from app.booking.search import fold, interpret, name_matches, reference_of


def test_a_reference_is_found_however_it_is_typed_or_read_over_the_phone():
    for typed in (
        "RDV-7K3M-Q9P2",
        "rdv 7k3m q9p2",
        "7K3MQ9P2",
        "7k3m-q9p2",
        "RDV7K3MQ9P2",
    ):
        assert reference_of(typed) == "RDV-7K3M-Q9P2"
    # O read as 0, I and L as 1: Crockford's alphabet has none of them.
    assert reference_of("RDV-O1IL-0000") == "RDV-0111-0000"
    assert reference_of("Dupont") == ""
    assert reference_of("RDV-7K3M-Q9P") == ""


def test_an_email_is_searched_as_an_email_only():
    terms = interpret("  Jeanne.Martin@Example.org ")
    assert terms.email == "jeanne.martin@example.org"
    assert (terms.reference, terms.phone, terms.name_tokens) == ("", "", ())


def test_a_phone_number_is_normalised_like_stored_numbers_landlines_included():
    assert interpret("06 12 34 56 78").phone == "+33612345678"
    assert interpret("+33 3 20 12 34 56").phone == "+33320123456"
    assert interpret("03.20.12.34.56").name_tokens == ()
    assert interpret("0612").phone == ""


def test_a_name_is_matched_without_case_or_accents_word_by_word():
    assert fold("  LEFÈVRE-Dupré  ") == "lefevre dupre"
    terms = interpret("lefevre")
    assert terms.name_tokens == ("lefevre",)
    assert name_matches(terms.name_tokens, "Hélène", "Lefèvre")
    assert name_matches(interpret("hel lef").name_tokens, "Hélène", "Lefèvre")
    assert not name_matches(interpret("lefevres").name_tokens, "Hélène", "Lefèvre")
    assert name_matches(interpret("o'brien").name_tokens, "Seán", "O’Brien")


def test_a_word_that_spells_a_reference_is_also_searched_as_a_name():
    terms = interpret("Bertrand")
    assert terms.reference == "RDV-BERT-RAND"
    assert terms.name_tokens == ("bertrand",)


def test_nothing_or_one_letter_searches_nothing():
    assert not interpret("   ").searchable
    assert not interpret("a").searchable
