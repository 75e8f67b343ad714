"""Quotes from European shops identify nobody: IBANs, names in any alphabet, sign-offs and
self-introductions in the shop's language, and street addresses as Europeans write them.

Each text plants personal data next to an ordinary sentence that looks like it (a number after
"Bring", "am Montag", "via DHL"; "ich bin" before an adjective): the data is masked, the
sentence stays as written. The survey themes built from such answers never name a mask.
"""

from __future__ import annotations

import re

import pytest

import shopperlens
from shopperlens.personas.scrubbing import MASKS, scrub
from shopperlens.service import surveys
from shopperlens.surveys import analysis

DEMO = "demo-profile"


# -- bank accounts ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Die Rückerstattung auf IBAN DE89370400440532013000 dauert zu lange",
            "Die Rückerstattung auf IBAN [number] dauert zu lange",
        ),
        (
            "Bitte auf DE89 3704 0044 0532 0130 00 überweisen, Bestellung AB12 von 2024",
            "Bitte auf [number] überweisen, Bestellung AB12 von 2024",
        ),
        ("refund to GB29 NWBK 6016 1331 9268 19, thanks", "refund to [number], thanks"),
        ("mijn rekening NL91ABNA0417164300 graag", "mijn rekening [number] graag"),
        ("IBAN FR1420041010050500013M02606 svp", "IBAN [number] svp"),
    ],
)
def test_an_iban_is_masked_whole_with_or_without_spaces(text: str, expected: str) -> None:
    assert scrub(text) == expected


# -- names ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["Łukasz Wójcik", "Şule Yılmaz", "Čeněk Novák", "Иван Петров", "Γιώργος Παπαδόπουλος"],
)
def test_a_dash_signature_is_masked_in_any_alphabet(name: str) -> None:
    assert (
        scrub(f"Das Zelt ist super, 5 Sterne - {name}") == "Das Zelt ist super, 5 Sterne - [name]"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Der Kundenservice hat schnell geantwortet. Mit freundlichen Grüßen, Jürgen Müller",
            "Der Kundenservice hat schnell geantwortet. Mit freundlichen Grüßen, [name]",
        ),
        ("Ich bin zufrieden.\nViele Grüße\nKäthe Größ", "Ich bin zufrieden.\nViele Grüße\n[name]"),
        (
            "Ich kaufe gern bei LG Electronics. LG Anna",
            "Ich kaufe gern bei LG Electronics. LG [name]",
        ),
        ("Super Beratung, danke! Gruß Jonas", "Super Beratung, danke! Gruß [name]"),
        ("Très bonne tente. Cordialement, Marie Dupont", "Très bonne tente. Cordialement, [name]"),
        ("Envío rápido. Saludos, Carlos García", "Envío rápido. Saludos, [name]"),
        ("Ottima tenda. Cordiali saluti, Giulia Rossi", "Ottima tenda. Cordiali saluti, [name]"),
        (
            "Snabb leverans. Med vänliga hälsningar, Åsa Lindström",
            "Snabb leverans. Med vänliga hälsningar, [name]",
        ),
        (
            "Hurtig levering. Med venlig hilsen\nSøren Kierkegaard",
            "Hurtig levering. Med venlig hilsen\n[name]",
        ),
        ("Szybka dostawa. Pozdrawiam, Łukasz", "Szybka dostawa. Pozdrawiam, [name]"),
    ],
)
def test_a_sign_off_in_a_european_language_masks_the_name_after_it(
    text: str, expected: str
) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Ich bin zufrieden mit dem Zelt. Ich heiße Anna Schmidt.",
            "Ich bin zufrieden mit dem Zelt. Ich heiße [name].",
        ),
        (
            "Ich bin Stammkunde seit 2019, mein Name ist Jonas Weber.",
            "Ich bin Stammkunde seit 2019, mein Name ist [name].",
        ),
        ("Je suis contente. Je m'appelle Marie Dupont.", "Je suis contente. Je m'appelle [name]."),
        ("Me llamo Carlos y estoy contento.", "Me llamo [name] y estoy contento."),
        ("Mi chiamo Giulia e compro spesso qui.", "Mi chiamo [name] e compro spesso qui."),
        ("Jag heter Åsa och handlar ofta här.", "Jag heter [name] och handlar ofta här."),
        ("Hallo, ik heet Pieter de Vries.", "Hallo, ik heet [name]."),
        ("Jeg hedder Søren og køber tit her.", "Jeg hedder [name] og køber tit her."),
    ],
)
def test_a_self_introduction_in_a_european_language_masks_the_name(
    text: str, expected: str
) -> None:
    """ "Ich bin …" and its kin ("je suis", "soy") are not read as introductions: "Ich bin
    Stammkunde" says what someone is, and German capitalises every noun."""
    assert scrub(text) == expected


# -- street addresses ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Schickt mir bitte einen Katalog an Königsallee 27, 40212 Düsseldorf",
            "Schickt mir bitte einen Katalog an [address], 40212 Düsseldorf",
        ),
        (
            "Die Allee vor dem Laden ist schön. Ich wohne Hauptstr 10 in Bonn",
            "Die Allee vor dem Laden ist schön. Ich wohne [address] in Bonn",
        ),
        (
            "Am Montag 3 Zelte bestellt, bitte an Am Markt 5.",
            "Am Montag 3 Zelte bestellt, bitte an [address].",
        ),
        (
            "Im Januar 2024 bestellt; An der Alster 12, Hamburg",
            "Im Januar 2024 bestellt; [address], Hamburg",
        ),
        (
            "Am Zeltplatz war es toll. Marktplatz 1, Judengasse 4 oder Kurfürstendamm 21",
            "Am Zeltplatz war es toll. [address], [address] oder [address]",
        ),
        (
            "During 3 weeks it rained. Bring 2 tents to Kaiserring 5",
            "During 3 weeks it rained. Bring 2 tents to [address]",
        ),
        ("Mainufer 2 oder Schillerring 7a", "[address] oder [address]"),
        (
            "Skicka till Storgatan 12 eller Kungsvägen 3, tack",
            "Skicka till [address] eller [address], tack",
        ),
        ("Send til Nørregade 7 eller Østerbrovej 3", "Send til [address] eller [address]"),
        ("Send til Karl Johans gate 5, Oslo", "Send til [address], Oslo"),
        (
            "La rue était calme. J'habite 12 rue de la Paix, 75002 Paris",
            "La rue était calme. J'habite [address], 75002 Paris",
        ),
        ("Envoyez à rue du Faubourg Saint-Honoré 24.", "Envoyez à [address]."),
        (
            "La calle era ruidosa. Vivo en Calle Mayor 5, Madrid",
            "La calle era ruidosa. Vivo en [address], Madrid",
        ),
        (
            "Spedito via DHL 3 volte; abito in Via Roma 12 a Milano",
            "Spedito via DHL 3 volte; abito in [address] a Milano",
        ),
        ("La piazza è bella. Piazza Navona 5, Roma", "La piazza è bella. [address], Roma"),
    ],
)
def test_a_european_street_address_is_masked(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Referring 3 friends got me a discount", "Stirring 2 minutes is enough",
        "I ordered via Amazon 2.", "Ship via DHL 2.", "im UK 9, but they fit like 10",
        "Im EU 44, they run small", "brigade 2 was slow", "Rated 5 route Alpine",
        "Arrived quickly. Thanks. Perfect!", "Cheers. Great Stuff", "Merci Beaucoup",
        "Love the colour. Tack Sharp", "Ciao Bella", "Samsung, LG Electronics", "LG OLED",
        "Overall: VG Condition",
    ],
)  # fmt: skip
def test_ordinary_english_reviews_stay_as_written(text: str) -> None:
    """English reviews the European patterns must not touch: gerunds ending in -rring before
    a count, "via" a carrier, sizes after "im", a brigade, a route's rating, a word after a
    full stop, thanks words and brands before capitalised words."""
    assert scrub(text) == text


# -- survey themes ------------------------------------------------------------------------------
def _terms(found: list[analysis.Theme]) -> set[str]:
    return {
        word
        for th in found
        for term in (th.theme, *th.top_terms)
        for word in re.split(r"\W+", term)
    }


def test_a_theme_is_never_named_after_a_mask() -> None:
    """Scrubbed answers: four give a masked phone number, e-mail or name, the other four speak
    of a tracking number. "number" said by the customers is a word of the themes; the masks,
    "[number]" among them, are none."""
    answers = [
        "zipper broke after two weeks, call me at [number]",
        "zipper broke on the first day, my [e-mail] is below, [number]",
        "zipper broke again, signed [name], [number]",
        "zipper broke, write to [e-mail] or [address]",
        "the tracking number never worked",
        "tracking number was wrong twice",
        "no tracking number in the mail",
        "tracking number arrived late",
    ]
    found = analysis.themes(answers, n_themes=2)
    assert found
    words = _terms(found)
    assert "tracking" in words and "zipper" in words
    assert "number" in {w for th in found if "tracking" in th.top_terms for w in th.top_terms}
    assert not {"name", "address"} & words, words
    zipper = next(th for th in found if "zipper" in th.top_terms)
    assert not any(
        w in {"number", "mail", "name", "address"} for t in zipper.top_terms for w in t.split()
    )
    assert not any(mask in term for th in found for term in th.top_terms for mask in MASKS)


def test_survey_results_name_no_theme_after_masked_phone_numbers(shop: shopperlens.Shop) -> None:
    """Answers as customers wrote them, phone numbers included: the results mask them before
    finding the themes, and no theme is named "unter number"."""
    surveys.ensure_builtin(store=shop.store)
    texts = [
        "Der Reißverschluss ist kaputt, ruft mich bitte an unter 0171 2345678",
        "Der Reißverschluss ist kaputt gegangen, ruft mich an unter 0172 3456789",
        "Reißverschluss kaputt, bitte unter 030 1234567 anrufen",
        "Der Reißverschluss ist schon wieder kaputt, Rückruf unter 0151 9876543",
        "Die Lieferung war viel zu langsam",
        "Lieferung zu langsam und zu teuer",
        "Die Lieferung kam zu langsam an",
        "Lieferung war langsam",
    ]
    for text in texts:
        shop.survey_submit(DEMO, {"why_buy": text})
    res = shop.survey_results(DEMO)
    found = [th for th in res.themes if th.question == "why_buy"]
    assert found
    named = " ".join(f"{th.theme} {' '.join(th.top_terms)}" for th in found)
    assert "reißverschluss" in named
    assert "number" not in named, named
