"""The words the service understands, prepared once per flow set and language.

Global commands, flow keywords, menus, answer lists (and the places in their entries),
yes and no, "more", the language menu and danger words. Building the matchers is the slow
part (see matching.py), so each is built once: when the engine is made, or the first time
a language needs it; a turn then only looks words up.
"""

from __future__ import annotations

from collections.abc import Sequence

from .lists import ListMatcher
from .matching import Choice, ChoiceMatcher, KeywordMatcher, PhraseSpotter, normalize
from .model import Command, FlowSet, Language, MenuNode, Option, flows_run_from, menu_options
from .texts import Translate

#: Words asking for the next page of a directory listing (translatable).
MORE_WORDS = ("mas", "más", "more", "siguiente", "ver mas")

#: Commands whose keywords must match exactly, never as a typo of something else.
_EXACT_ONLY = frozenset({Command.STOP, Command.DELETE, Command.ALERTS_OFF})


def answer_words(flows: FlowSet) -> frozenset[str]:
    """Every word that answers something in the source language: option labels and
    keywords, yes and no, list values. A command word must not be one of them."""
    words: set[str] = set()
    for _flow, _menu, option in menu_options(flows):
        words |= {normalize(w) for w in (option.label, *option.keywords)}
    deployment = flows.deployment
    words |= {normalize(w) for w in (*deployment.yes_words, *deployment.no_words)}
    for choice_list in flows.lists.values():
        for item in choice_list.items:
            words |= {normalize(w) for w in (item.value, *item.aliases)}
    return frozenset(words)


class Understanding:
    """Every matcher a turn needs: commands in each of the offered ``languages``, the rest
    in the source language (the flows') and, translated, in the resident's."""

    def __init__(
        self,
        flows: FlowSet,
        languages: Sequence[Language],
        translate: Translate,
        source_language: str,
    ) -> None:
        self.flows = flows
        self.translate = translate
        self.source_language = source_language
        deployment = flows.deployment
        # Global commands work in every offered language, whatever the resident's. A
        # translated command word that is also an answer somewhere (an option, yes/no, a
        # list value) is left out: "no" must never stop anyone. `outreach check` reports it.
        answers = answer_words(flows)
        self.commands = KeywordMatcher(
            [
                (word, command, command not in _EXACT_ONLY)
                for command, words in deployment.commands.items()
                for lang in languages
                for word in self.words(words, f"command/{command.value}", lang.code)
                if word in words or normalize(word) not in answers
            ]
        )
        # List answers forgive spaces, hyphens and typos (see ListMatcher), prepared here
        # once. A number chooses an item only once the numbered list was shown.
        self.lists = {
            choice_list.id: ListMatcher(
                (item.value, (item.value, *item.aliases)) for item in choice_list.items
            )
            for choice_list in flows.lists.values()
        }
        # A reply that names no item may name a place in one (a municipality in its
        # department) by its whole name or an alias, forgiving accents and typos; never a
        # guess between two items that both have a place so named.
        self.places = {
            choice_list.id: ListMatcher(
                ((place.item, (place.name, *place.aliases)) for place in choice_list.places),
                by_word=False,
            )
            for choice_list in flows.lists.values()
            if choice_list.places
        }
        #: The language menu: by number, code or name.
        self.language_choice = ChoiceMatcher(
            Choice(lang.code, number, (lang.code, lang.name))
            for number, lang in enumerate(languages, start=1)
        )
        #: A language's name alone, written by a new resident.
        self.language_names = KeywordMatcher([(lang.name, lang.code, False) for lang in languages])
        # Danger words of every language are searched for every resident: many write
        # Spanish whatever their language, and a Mayan language has no list of its own
        # until translators give one.
        danger = deployment.danger
        self.danger: PhraseSpotter[str] | None = (
            PhraseSpotter(
                [(w, code) for code, words in danger.words.items() for w in words],
                not_meant=[w for words in danger.not_danger.values() for w in words],
            )
            if danger
            else None
        )
        #: The danger flow and the flows it runs: there its menus' answers win.
        self.danger_flows = (
            flows_run_from(flows.flows, danger.flow) if danger and danger.flow else set()
        )
        self._entry: dict[str, KeywordMatcher[str]] = {}
        self._menus: dict[tuple[str, str, str], ChoiceMatcher[Option]] = {}
        self._yes_no: dict[str, KeywordMatcher[str]] = {}
        self._more: dict[str, KeywordMatcher[bool]] = {}

    def words(self, words: Sequence[str], context: str, language: str) -> list[str]:
        """Keywords in the source language and, translated, in ``language``."""
        found = list(words)
        if language != self.source_language and words:
            translated = self.translate(", ".join(words), context, language)
            found += [w.strip() for w in translated.split(",") if w.strip()]
        return found

    def yes_no(self, language: str) -> KeywordMatcher[str]:
        """Yes and no in the source language and, translated, in ``language``."""
        if language not in self._yes_no:
            deployment = self.flows.deployment
            yes = self.words(deployment.yes_words, "system/yes_words", language)
            no = self.words(deployment.no_words, "system/no_words", language)
            self._yes_no[language] = KeywordMatcher(
                [(w, "yes", False) for w in yes] + [(w, "no", False) for w in no]
            )
        return self._yes_no[language]

    def entry(self, language: str) -> KeywordMatcher[str]:
        """Flow keywords in the source language and in ``language``."""
        if language not in self._entry:
            self._entry[language] = KeywordMatcher(
                [
                    (word, flow.id, True)
                    for flow in self.flows.flows.values()
                    for word in self.words(flow.keywords, f"{flow.id}/keywords", language)
                ]
            )
        return self._entry[language]

    def menu(self, flow: str, menu: MenuNode, language: str) -> ChoiceMatcher[Option]:
        """A menu's options by number, label and keywords, in the source language and in
        ``language``."""
        key = (flow, menu.id, language)
        if key not in self._menus:
            choices = []
            for option in menu.options:
                context = f"{flow}/{menu.id}/option/{option.number}"
                phrases = [
                    option.label,
                    *self.words(option.keywords, f"{context}/keywords", language),
                ]
                if language != self.source_language:
                    phrases.append(self.translate(option.label, context, language))
                number = int(option.number) if option.number.isdigit() else None
                choices.append(Choice(option, number, tuple(phrases)))
            # A leftover "MAS" after the last page of a listing is not "Más o menos".
            reserved = self.words(MORE_WORDS, "system/more_words", language)
            self._menus[key] = ChoiceMatcher(choices, reserved)
        return self._menus[key]

    def more(self, language: str) -> KeywordMatcher[bool]:
        """Words that ask for the next page of a listing."""
        if language not in self._more:
            words = self.words(MORE_WORDS, "system/more_words", language)
            self._more[language] = KeywordMatcher([(w, True, True) for w in words])
        return self._more[language]
