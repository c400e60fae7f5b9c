"""The closed word lists follow-up resolution reads questions with (service/followup_text.py): the
language's function words, times, places, ordinals and a few hundred common verbs with their
inflections. Nothing here is about a document or a gold question."""

from __future__ import annotations

WH = frozenset("what which who whom whose when where why how".split())
BE = frozenset("is are was were be been am 's 're".split())
DO = frozenset("do does did can could will would should shall may might must has have had".split())
DETERMINERS = frozenset("the a an my our your this that these those any each every some no another".split())
PREPOSITIONS = frozenset((
    "for on in at during of to from with without by under over after before about between within per via "
    "into onto outside inside through throughout across near around until till since against among than "
    "beyond except including excluding upon").split())
PERSONAL = frozenset("i me my we us our you your".split())
PERSON_PRONOUNS = frozenset("he him his she her hers".split())
THING_PRONOUNS = frozenset("it its they them their theirs".split())
CONJUNCTIONS = frozenset("and or but if when while because so whether".split())
# Titles whose full stop ends no sentence before a name ("at St. Aldric", "Dr. Okafor"); a street's
# "St." or a company's "Ltd." may end one, so only before a name, never before a question's first word.
TITLES = ("St", "Dr", "Mr", "Mrs", "Ms", "Prof", "Mt")
INDEFINITE = frozenset("someone somebody anyone anybody everyone everybody something anything everything".split())
# Words that are neither names nor the heads of noun phrases.
OTHER = frozenset((
    "not also still only just ever usually really much many long often soon far big old late early else more "
    "most less least very too all both there then here than up out off away back else please yet now ago "
    "same one ones own such kind sort").split())
TIME_WORDS = frozenset((
    "monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays fridays "
    "saturdays sundays weekday weekdays weekend weekends holiday holidays morning mornings afternoon afternoons "
    "evening evenings night nights overnight daytime today tonight tomorrow peak off-peak summer winter spring "
    "autumn january february march april june july august september october november december christmas "
    "easter bank-holiday").split())
PLACE_ADVERBS = frozenset("abroad overseas elsewhere online nearby locally outdoors indoors".split())
ORDINALS = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth last next previous".split())
# Common verbs of questions to a service, in their base form; inflections are made by rule.
_VERBS = (
    "accept add allow apply arrive ask attend become begin book bring buy call cancel carry change charge check "
    "choose claim close collect come contact cost count cover deliver depend do drop earn end expire extend file "
    "find finish get give go happen have hold include issue join keep last leave let live look lose make mean "
    "miss move need offer open order own park pay pick play post provide publish put reach receive refund "
    "register release renew rent replace report request require reset return run see sell send serve set show "
    "sign start stay stop submit support switch take tell travel treat turn use visit wait want work write")
_IRREGULAR = ("began begun bought came chose done did gave gone went got had held kept left let lost made meant paid "
              "put ran saw sold sent set shown took told written wrote")


def _inflections(verb: str) -> set[str]:
    stem = verb[:-1] if verb.endswith("e") else verb
    plural = verb + ("es" if verb.endswith(("s", "sh", "ch", "x", "o")) else "s")
    if verb.endswith("y") and verb[-2] not in "aeiou":
        plural, stem = verb[:-1] + "ies", verb[:-1] + "i"
    return {verb, plural, stem + "ed", (verb[:-1] if verb.endswith("e") else verb) + "ing"}


VERBS = frozenset(form for verb in _VERBS.split() for form in _inflections(verb)) | frozenset(_IRREGULAR.split())
# Past participles: after a be-question's subject they are its verb ("is the deposit [paid] ...").
PARTICIPLES = frozenset(form for form in VERBS if form.endswith("ed") and form not in _VERBS.split()) | frozenset((
    "begun bought chosen done given gone got held kept left lost made meant paid sold sent shown taken told "
    "written").split())
FUNCTION_WORDS = (WH | BE | DO | DETERMINERS | PREPOSITIONS | PERSONAL | PERSON_PRONOUNS | THING_PRONOUNS
                  | CONJUNCTIONS | INDEFINITE | OTHER)
