"""Function words per language, left out of free-text themes as English ones are.

scikit-learn knows English stop words only; a German survey's themes came out named "die" and
"nach / zu". These lists hold each language's articles, pronouns, prepositions, conjunctions,
auxiliaries and the commonest adverbs — words that say nothing of what an answer is about.
They are used for a survey whose definition names its ``language`` (the primary subtag of a
BCP 47 code: ``de``, ``de-AT`` and ``de-CH`` are German); English is always left out too, as
answers in other languages often mix in English words.
"""

from __future__ import annotations

__all__ = ["STOP_WORDS", "stop_words"]

_DE = """
aber alle allem allen aller alles als also am an ander andere anderen anderer anderes auch auf
aus bei beim bin bis bist bitte da dabei dadurch dafür dagegen daher damit dann daran darauf
darum das dass dein deine dem den denen denn der deren des dessen deshalb dich die dies diese
diesem diesen dieser dieses dir doch dort du durch eher ein eine einem einen einer eines einige
einmal er es etwa etwas euch euer für gab gar gegen gewesen gibt hab habe haben hat hatte
hätte hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im immer in ins ist ja je
jede jedem jeden jeder jedes jedoch jetzt kann kannst kein keine keinem keinen keiner können
könnte man manche mehr mein meine meinem meinen meiner mich mir mit muss musste nach nein nicht
nichts noch nun nur ob oder ohne schon sehr sei sein seine seinem seinen seiner seit sich sie
sind so soll sollte sondern sonst über um und uns unser unsere unter viel vom von vor war waren
warst was weil weiter welche wenn wer werde werden wie wieder will wir wird wo wurde würde zu
zum zur zwar zwischen
"""
_FR = """
à ai aie aient ait alors as au aucun aussi autre aux avaient avais avait avec avez avoir
avons ayant c ça car ce ceci cela celle celles celui ces cet cette ceux chaque ci comme comment
d dans de des du donc dont elle elles en encore est et étaient était été être eu eux fait
fais faut il ils j je l la le les leur leurs lui m ma mais me même mes moi mon n ne ni nos notre
nous on ont ou où par pas peu peut plus pour pourquoi qu quand que quel quelle quelles quels qui
s sa sans se sera ses si son sont sous suis sur t ta te tes toi ton tous tout toute toutes très
tu un une vos votre vous y
"""
_ES = """
a al algo algunos ante antes como con contra cual cuando de del desde donde durante e el él
ella ellas ellos en entre era erais eran eras eres es esa esas ese eso esos esta está están
estas este esto estos estoy fue fueron fui ha habéis había han has hasta hay la las le les lo
los más me mi mis mucho muy nada ni no nos nosotros o os otra otro para pero poco por porque
que qué quien se sea ser si sí sin sobre son su sus también te tengo tiene tienen todo todos
tu tú un una uno unos y ya yo
"""
_NL = """
aan al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door dus een
eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets ik in
is ja je kan kon kunnen maar me meer men met mij mijn moet na naar niet niets nog nu of om omdat
onder ons ook op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat
werd wezen wie wil worden wordt zal ze zelf zich zij zijn zo zonder zou
"""
_SV = """
alla allt att av blev bli blir blivit de dem den denna deras dess dessa det detta dig din dina
ditt du där då efter ej eller en er era ert ett från för ha hade han hans har henne hennes hon
honom hur här i icke ingen inom inte jag ju kan kunde man med mellan men mig min mina mitt mot
mycket ni nu när någon något några och om oss på samma sedan sig sin sina sitta själv skulle
som så sådan till under upp ut utan vad var vara varför varit varje vars vart vem vi vid vilka
vilken vår våra vårt än är åt över
"""

#: language subtag -> its function words
STOP_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(text.split())
    for lang, text in (("de", _DE), ("fr", _FR), ("es", _ES), ("nl", _NL), ("sv", _SV))
}


def stop_words(language: str | None) -> frozenset[str]:
    """The function words of ``language`` (a BCP 47 code; ``de-AT`` is German), empty for
    English, no language or one without a list here."""
    if not language:
        return frozenset()
    return STOP_WORDS.get(language.split("-")[0].split("_")[0].lower(), frozenset())
