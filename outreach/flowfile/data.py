"""The readers of data files: answer lists (with their places files) and programme
directories, each programme's place noted where a long listing is mended."""

from __future__ import annotations

from pathlib import Path

import yaml

from outreach.engine.matching import normalize
from outreach.engine.model import ChoiceList, Directory, ListItem, PlaceName, Programme
from outreach.spreadsheet import starts_like_formula

from . import spec
from .index import ContentReader, ProgrammeRef, Ref, ServedDepartment
from .places import read_places
from .problems import Place
from .yamlvalues import Fields


class DataReader(ContentReader):
    """Reads a file that starts with ``list:`` or ``directory:``."""

    def optional_fact(self, pf: Fields, name: str, programme_id: str | None) -> str | None:
        """A programme's hours or eligibility as its source states them; None when the
        source does not say (written ``unknown``, never sent to residents). Leaving the
        key out is a warning: an editor must decide between a sourced fact and ``unknown``."""
        node = pf.get(name)
        if node is None:
            self.warning(
                pf.place(),
                f"programme '{programme_id}' has no {name}: write `{name}: {spec.UNKNOWN}` "
                "if the source does not say",
            )
            return None
        value = self.text(node, name)
        if value is None or value.strip().lower() == spec.UNKNOWN:
            return None
        return value

    def read_directory(self, root: yaml.MappingNode) -> Directory | None:
        f = self.fields(root, spec.DIRECTORY, "the directory")
        if f is None:
            return None
        directory_id = self.ident(f.get("directory"), "the directory id")
        list_id = self.ident(f.get("list"), "list")
        if list_id is not None:
            self.index.refs.append(Ref("list", None, list_id, f.place("list")))
        programmes: list[Programme] = []
        seen: dict[str, Place] = {}
        starts: dict[str, Place] = {}  # each programme's ``- id:`` item
        for item in self.sequence(f.get("programmes"), "programmes"):
            pf = self.fields(item, spec.PROGRAMME, "a programme")
            if pf is None:
                continue
            programme_id = self.ident(pf.get("id"), "id")
            if programme_id is not None and programme_id in seen:
                self.error(
                    pf.place("id"),
                    f"programme '{programme_id}' is listed twice "
                    f"(first at line {seen[programme_id].line})",
                )
                continue
            if programme_id is not None:
                seen[programme_id] = pf.place("id")
                starts[programme_id] = pf.place()
            name = self.text(pf.get("name"), "name")
            kind = self.programme_kind(pf.get("kind"))
            departments = self.words(pf.get("departments"), "departments")
            for word, place in self.word_places(pf.get("departments")):
                if word != "all" and list_id is not None:
                    self.index.directory_departments.append(ServedDepartment(list_id, word, place))
            contact = self.text(pf.get("contact"), "contact")
            hours = self.optional_fact(pf, "hours", programme_id)
            eligibility = self.optional_fact(pf, "eligibility", programme_id)
            provenance = self.reviewed(pf.get("provenance"), f"programme '{programme_id}'")
            if None in (programme_id, name, kind, contact, provenance) or not departments:
                continue
            assert programme_id and name and kind and contact and provenance
            served = None if departments == ("all",) else departments
            programmes.append(
                Programme(programme_id, name, kind, served, contact, provenance, hours, eligibility)
            )
        if directory_id is None:
            return None
        if directory_id in self.index.directory_places:
            first = self.index.directory_places[directory_id]
            self.error(
                f.place("directory"),
                f"directory '{directory_id}' is defined twice (first at {first})",
            )
            return None
        self.index.directory_places[directory_id] = f.place("directory")
        self.index.programme_places.update(
            (ProgrammeRef(directory_id, programme), place) for programme, place in starts.items()
        )
        return Directory(directory_id, tuple(programmes))

    def read_list(self, root: yaml.MappingNode) -> ChoiceList | None:
        f = self.fields(root, spec.LIST, "the list")
        if f is None:
            return None
        list_id = self.ident(f.get("list"), "the list id")
        numbered = self.boolean(f.get("numbered"), "numbered")
        items = []
        seen: dict[str, Place] = {}
        for item in self.sequence(f.get("items"), "items"):
            itf = self.fields(item, spec.ITEM, "an item")
            if itf is None:
                continue
            value = self.text(itf.get("value"), "value")
            aliases = self.words(itf.get("aliases"), "aliases")
            places = [(value, itf.place("value"))] if value else []
            places += self.word_places(itf.get("aliases"))
            for word, place in places:
                key = normalize(word or "")
                if key in seen:
                    self.error(
                        place, f"'{word}' is in this list twice (first at line {seen[key].line})"
                    )
                seen.setdefault(key, place)
            if value and starts_like_formula(value):
                # The value is published as a label in CSV exports: never a formula there.
                self.error(
                    itf.place("value"),
                    f"'{value}' starts with {value[0]!r}, which a spreadsheet runs as a formula"
                    " when staff open an export: start it with a letter or a digit",
                )
            if value:
                items.append(ListItem(value, aliases))
        if list_id is None or not items:
            return None
        if list_id in self.index.list_places:
            first = self.index.list_places[list_id]
            self.error(f.place("list"), f"list '{list_id}' is defined twice (first at {first})")
            return None
        self.index.list_places[list_id] = f.place("list")
        self.index.list_values[list_id] = [v for item in items for v in (item.value, *item.aliases)]
        self.index.list_canonical[list_id] = [item.value for item in items]
        place_names: list[PlaceName] = []
        file = self.text(f.get("places"), "places")
        if file is not None:
            count = self.integer(f.get("places_count"), "places_count")
            path = Path(self.path).parent / file
            place_names, problems = read_places(
                path, str(path), [item.value for item in items], count, f.place("places")
            )
            self.problems += problems
        return ChoiceList(list_id, tuple(items), numbered=bool(numbered), places=tuple(place_names))
