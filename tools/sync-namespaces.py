#!/usr/bin/env python3
"""Namespace = folder, re-runnable.

For every .cs file of every project under src/, tests/ and bench/ this script
  1. sets the file-scoped namespace to the project's root namespace + the folder path
     (tools/namespace-exceptions.txt lists the few folders that keep another namespace, with the reason);
  2. rewrites qualified names that point at a type's old namespace (DeepMetric.Foo -> DeepMetric.Losses.Foo) in code,
     `using static`/alias directives and the projects' PublicAPI.*.txt files, so the API baselines follow the move;
  3. adds the `using DeepMetric...;` directives a file needs for the project types it mentions (declared type names,
     attribute short names and extension-method names, read from the sources with regular expressions) and removes
     the project `using`s it no longer needs.
It only edits what differs, so running it twice changes nothing the second time; files it has never seen are
handled the same way. Only project namespaces (those declared in this repository) are added or removed; System,
xunit and other usings are left alone.

A name declared in more than one namespace is resolved the way the compiler would: the file's own namespace and its
parents first, then an existing using for one of the candidates; otherwise the file is listed as ambiguous and left
for a human (the build names it).

Usage (from the repository root):
    python3 tools/sync-namespaces.py            # rewrite in place, print what changed
    python3 tools/sync-namespaces.py --check    # exit 1 and list the files that would change
Then build: dotnet build DeepMetric.slnx -c Release
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

ROOTS = ("src", "tests", "bench")
EXCEPTIONS_FILE = os.path.join("tools", "namespace-exceptions.txt")
IDENT = r"@?[A-Za-z_][A-Za-z0-9_]*"
KEYWORDS = {"where", "new", "class", "struct", "interface", "enum", "record", "delegate", "static", "partial",
            "public", "internal", "private", "protected", "sealed", "abstract", "readonly", "ref", "unsafe", "file"}


# ---------------------------------------------------------------- projects

@dataclass
class Project:
    name: str
    directory: str          # relative to the repository root, with '/'
    root_namespace: str
    references: list[str] = field(default_factory=list)   # project names
    visible: set[str] = field(default_factory=set)        # itself + transitive references


def find_projects(repo: str) -> dict[str, Project]:
    projects: dict[str, Project] = {}
    for root in ROOTS:
        base = os.path.join(repo, root)
        if not os.path.isdir(base):
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d not in ("bin", "obj")]
            for fn in filenames:
                if not fn.endswith(".csproj"):
                    continue
                path = os.path.join(dirpath, fn)
                name = fn[:-len(".csproj")]
                tree = ET.parse(path)
                root_ns = name
                for el in tree.iter("RootNamespace"):
                    if el.text and el.text.strip():
                        root_ns = el.text.strip()
                refs = []
                for el in tree.iter("ProjectReference"):
                    inc = el.get("Include", "").replace("\\", "/")
                    refs.append(os.path.basename(inc)[:-len(".csproj")])
                rel = os.path.relpath(dirpath, repo).replace(os.sep, "/")
                projects[name] = Project(name, rel, root_ns, refs)
    for p in projects.values():
        seen: set[str] = set()
        stack = [p.name]
        while stack:
            n = stack.pop()
            if n in seen or n not in projects:
                continue
            seen.add(n)
            stack.extend(projects[n].references)
        p.visible = seen
    return projects


def read_exceptions(repo: str) -> dict[str, str]:
    """folder (repository-relative) -> namespace."""
    result: dict[str, str] = {}
    path = os.path.join(repo, EXCEPTIONS_FILE)
    if not os.path.exists(path):
        return result
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            folder, ns = line.split()
            result[folder.rstrip("/")] = ns
    return result


def expected_namespace(project: Project, rel_file: str, exceptions: dict[str, str]) -> str:
    folder = os.path.dirname(rel_file)
    if folder in exceptions:
        return exceptions[folder]
    sub = os.path.relpath(folder, project.directory).replace(os.sep, "/")
    if sub == ".":
        return project.root_namespace
    return project.root_namespace + "." + ".".join(sub.split("/"))


# ---------------------------------------------------------------- lexing

def strip_source(text: str) -> tuple[str, str]:
    """Returns (code, tokens): code has comments and all string/char literals blanked (same length, newlines kept);
    tokens has comments blanked except cref="..." values of doc comments, plain literals blanked and interpolated
    strings kept (their holes hold code)."""
    n = len(text)
    code = list(text)
    toks = list(text)
    i = 0

    def blank(buf: list[str], a: int, b: int) -> None:
        for k in range(a, b):
            if buf[k] != "\n":
                buf[k] = " "

    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(code, i, j)
            blank(toks, i, j)
            if text.startswith("///", i):
                for m in re.finditer(r'cref\s*=\s*"([^"]*)"', text[i:j]):
                    a, b = i + m.start(1), i + m.end(1)
                    toks[a:b] = list(text[a:b])
            i = j
            continue
        if c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(code, i, j)
            blank(toks, i, j)
            i = j
            continue
        if c == "'":
            # char literal: '\'' or 'x' or '\u1234'
            m = re.match(r"'(\\.[^']*|[^'\\])'", text[i:i + 12])
            if m:
                blank(code, i, i + m.end())
                blank(toks, i, i + m.end())
                i += m.end()
                continue
            i += 1
            continue
        m = re.match(r'(\$+)?(@)?(\$+)?("""+|")', text[i:i + 12])
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            interpolated = bool(m.group(1) or m.group(3))
            verbatim = bool(m.group(2))
            quote = m.group(4)
            start = i
            j = i + m.end()
            if len(quote) >= 3:
                end = text.find(quote, j)
                end = n if end < 0 else end + len(quote)
                while end < n and text[end] == '"':
                    end += 1
            elif verbatim:
                end = j
                while end < n:
                    if text[end] == '"':
                        if end + 1 < n and text[end + 1] == '"':
                            end += 2
                            continue
                        end += 1
                        break
                    end += 1
            elif interpolated:
                # regular interpolated string: skip nested braces and nested strings roughly
                end = j
                depth = 0
                while end < n:
                    ch = text[end]
                    if ch == "\\" and depth == 0:
                        end += 2
                        continue
                    if ch == "{":
                        if depth == 0 and end + 1 < n and text[end + 1] == "{":
                            end += 2
                            continue
                        depth += 1
                    elif ch == "}":
                        if depth == 0 and end + 1 < n and text[end + 1] == "}":
                            end += 2
                            continue
                        depth = max(0, depth - 1)
                    elif ch == '"' and depth == 0:
                        end += 1
                        break
                    elif ch == '"' and depth > 0:
                        k = text.find('"', end + 1)
                        end = n if k < 0 else k
                    elif ch == "\n" and depth == 0:
                        break
                    end += 1
            else:
                end = j
                while end < n:
                    ch = text[end]
                    if ch == "\\":
                        end += 2
                        continue
                    if ch == '"' or ch == "\n":
                        end += 1
                        break
                    end += 1
            blank(code, start, end)
            if not interpolated:
                blank(toks, start, end)
            i = end
            continue
        i += 1
    return "".join(code), "".join(toks)


NS_RE = re.compile(r"^(\s*)namespace\s+([A-Za-z_][\w.]*)\s*(;|\{|$)", re.M)
USING_RE = re.compile(r"^using\s+(static\s+)?(?:(" + IDENT + r")\s*=\s*)?(global::)?([A-Za-z_][\w.]*(?:<[^;]*>)?)\s*;[ \t]*\r?\n",
                      re.M)
TYPE_DECL_RE = re.compile(r"\b(class|struct|interface|enum|record(?:\s+(?:class|struct))?)\s+(" + IDENT + r")")
DELEGATE_RE = re.compile(r"\bdelegate\s+[\w<>\[\],.?\s]+?\s(" + IDENT + r")\s*[<(]")
EXT_RE = re.compile(r"\bstatic\s+[^;{}()=]*?\b(" + IDENT + r")\s*(?:<[^>()]*>)?\s*\(\s*this\s")
IDENT_TOKEN_RE = re.compile(r"(?<![\w.])@?([A-Za-z_]\w*)|(?<=\.)([A-Za-z_]\w*)")
QUALIFIED_RE = re.compile(r"(?<![\w.])(global::)?([A-Z]\w*(?:\.[A-Za-z_]\w*)+)")


def depth_map(code: str) -> list[int]:
    depths = []
    d = 0
    for ch in code:
        depths.append(d)
        if ch == "{":
            d += 1
        elif ch == "}":
            d -= 1
    return depths


@dataclass
class SourceFile:
    rel: str
    project: Project
    text: str
    code: str = ""
    tokens_text: str = ""
    namespace: str | None = None          # declared now
    file_scoped: bool = True
    types: list[tuple[str, bool]] = field(default_factory=list)   # (name, partial)
    extensions: list[str] = field(default_factory=list)


def analyse(sf: SourceFile) -> None:
    sf.code, sf.tokens_text = strip_source(sf.text)
    m = NS_RE.search(sf.code)
    if m:
        sf.namespace = m.group(2)
        sf.file_scoped = m.group(3) == ";"
    depths = depth_map(sf.code)
    base = 0 if sf.file_scoped else 1
    for m in TYPE_DECL_RE.finditer(sf.code):
        name = m.group(2).lstrip("@")
        if name in KEYWORDS or depths[m.start()] != base:
            continue
        prefix = sf.code[max(0, m.start() - 80):m.start()]
        line_prefix = prefix.rsplit("\n", 1)[-1]
        sf.types.append((name, "partial" in line_prefix.split()))
    for m in DELEGATE_RE.finditer(sf.code):
        if depths[m.start()] == base:
            sf.types.append((m.group(1).lstrip("@"), False))
    for m in EXT_RE.finditer(sf.code):
        sf.extensions.append(m.group(1).lstrip("@"))


# ---------------------------------------------------------------- index

class Index:
    def __init__(self, files: list[SourceFile], new_ns: dict[str, str]):
        # project -> type name -> set of namespaces (after the move)
        self.types: dict[str, dict[str, set[str]]] = {}
        self.old_types: dict[str, dict[str, set[str]]] = {}
        self.ext: dict[str, dict[str, set[str]]] = {}
        self.namespaces: dict[str, set[str]] = {}
        self.all_namespaces: set[str] = set()
        partial_ns: dict[tuple[str, str], set[str]] = {}
        for sf in files:
            ns = new_ns.get(sf.rel) or sf.namespace
            if ns is None:
                continue
            p = sf.project.name
            self.namespaces.setdefault(p, set()).add(ns)
            for name, partial in sf.types:
                self.types.setdefault(p, {}).setdefault(name, set()).add(ns)
                if name.endswith("Attribute") and len(name) > len("Attribute"):
                    self.types[p].setdefault(name[:-len("Attribute")], set()).add(ns)
                if sf.namespace:
                    self.old_types.setdefault(p, {}).setdefault(name, set()).add(sf.namespace)
                if partial:
                    partial_ns.setdefault((p, name), set()).add(ns)
            for name in sf.extensions:
                self.ext.setdefault(p, {}).setdefault(name, set()).add(ns)
        for ns_set in self.namespaces.values():
            for ns in ns_set:
                parts = ns.split(".")
                for k in range(1, len(parts) + 1):
                    self.all_namespaces.add(".".join(parts[:k]))
        self.split_partials = {k: v for k, v in partial_ns.items() if len(v) > 1}

    @staticmethod
    def _visible(table: dict[str, dict[str, set[str]]], project: Project) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for p in project.visible:
            for name, nss in table.get(p, {}).items():
                out.setdefault(name, set()).update(nss)
        return out

    def visible_types(self, project: Project) -> dict[str, set[str]]:
        return self._visible(self.types, project)

    def visible_ext(self, project: Project) -> dict[str, set[str]]:
        return self._visible(self.ext, project)

    def visible_namespaces(self, project: Project) -> set[str]:
        out: set[str] = set()
        for p in project.visible:
            for ns in self.namespaces.get(p, set()):
                parts = ns.split(".")
                for k in range(1, len(parts) + 1):
                    out.add(".".join(parts[:k]))
        return out


def rewrite_qualified(text: str, types: dict[str, set[str]], namespaces: set[str], region_ok=None) -> str:
    """Rewrites Ns.Type references whose Ns no longer declares Type to the one namespace that does."""

    def fix(m: re.Match) -> str:
        if region_ok is not None and not region_ok(m.start()):
            return m.group(0)
        glob = m.group(1) or ""
        parts = m.group(2).split(".")
        for i in range(1, len(parts)):
            ns = ".".join(parts[:i])
            if ns not in namespaces and not any(n.startswith(ns + ".") for n in namespaces):
                return m.group(0)
            name = parts[i]
            cands = types.get(name)
            if not cands:
                continue
            if ns in cands:
                return m.group(0)
            # ns.name is not a type there; is ns.name a namespace? then keep walking
            if ".".join(parts[:i + 1]) in namespaces:
                continue
            if len(cands) == 1:
                new = next(iter(cands))
                return glob + ".".join([new] + parts[i:])
            return m.group(0)
        return m.group(0)

    return QUALIFIED_RE.sub(fix, text)


# ---------------------------------------------------------------- per-file rewrite

def sort_key(ns: str) -> tuple[int, str]:
    return (0 if ns == "System" or ns.startswith("System.") else 1, ns)


def process(sf: SourceFile, ns_target: str | None, index: Index, ambiguous: list[str]) -> str:
    text = sf.text
    project = sf.project
    types = index.visible_types(project)
    exts = index.visible_ext(project)
    ours = index.visible_namespaces(project)

    # 1. namespace line
    if ns_target and sf.namespace and sf.namespace != ns_target:
        m = NS_RE.search(sf.code)
        assert m is not None
        text = text[:m.start(2)] + ns_target + text[m.end(2):]

    # 2. qualified names in code (not in strings/comments), using static/alias included
    _, toks0 = strip_source(text)
    text = rewrite_qualified(text, types, ours, region_ok=lambda pos: toks0[pos] == text[pos])

    # 3. usings
    code, toks = strip_source(text)
    nsm = NS_RE.search(code)
    file_ns = nsm.group(2) if nsm else None
    header_end = nsm.start() if nsm else len(text)
    usings = [m for m in USING_RE.finditer(text[:header_end]) if code[m.start()] != " "]
    plain_ours = [m for m in usings if not m.group(1) and not m.group(2) and m.group(4) in ours]
    existing_plain = {m.group(4) for m in usings if not m.group(1) and not m.group(2)}
    aliases = {m.group(2) for m in usings if m.group(2)}
    in_scope: set[str] = set()
    if file_ns:
        parts = file_ns.split(".")
        in_scope = {".".join(parts[:k]) for k in range(1, len(parts) + 1)}

    body = toks[header_end:] if nsm else "\n".join(
        line if not line.startswith("using ") else "" for line in toks.split("\n"))
    names: set[str] = set()      # identifiers not after a dot: type names
    members: set[str] = set()    # identifiers after a dot: extension-method calls
    for m in IDENT_TOKEN_RE.finditer(body):
        if m.group(1):
            names.add(m.group(1))
        else:
            members.add(m.group(2))
    own_types = {name for name, _ in sf.types}

    needed: set[str] = set()
    for name in names:
        if name in aliases:
            continue
        cands = types.get(name)
        if cands:
            if cands & in_scope or name in own_types:
                pass
            else:
                have = cands & existing_plain
                if have:
                    needed |= have
                elif len(cands) == 1:
                    needed |= cands
                else:
                    ambiguous.append(f"{sf.rel}: {name} in {sorted(cands)}")
    for name in members | names:
        ecands = exts.get(name)
        if ecands:
            needed |= {ns for ns in ecands if ns not in in_scope}
    needed -= in_scope

    current = {m.group(4) for m in plain_ours}
    if current == needed:
        return text

    # rebuild the using block: remove our plain usings, add the needed ones in sorted position
    keep_lines = []
    first = usings[0].start() if usings else None
    last = usings[-1].end() if usings else None
    if first is None:
        block = "".join(f"using {ns};\n" for ns in sorted(needed, key=sort_key))
        if not block:
            return text
        # insert before the namespace line (after leading comments/attributes like #nullable)
        insert_at = nsm.start() if nsm else 0
        prefix = text[:insert_at]
        sep = "" if prefix == "" or prefix.endswith("\n\n") else ("\n" if prefix.endswith("\n") else "\n\n")
        return prefix + sep + block + "\n" + text[insert_at:]
    between = text[first:last]
    # only rebuild when the using block is contiguous (blank lines allowed); otherwise edit line by line
    lines = between.split("\n")
    contiguous = all(ln.strip() == "" or ln.startswith("using ") for ln in lines)
    plain_lines, static_alias = [], []
    for m in usings:
        if not m.group(1) and not m.group(2):
            if m.group(4) in ours and m.group(4) not in needed:
                continue
            plain_lines.append(m.group(4))
        else:
            static_alias.append(m.group(0).rstrip("\r\n"))
    for ns in needed:
        if ns not in plain_lines:
            plain_lines.append(ns)
    if contiguous:
        new_block = "".join(f"using {ns};\n" for ns in sorted(set(plain_lines), key=sort_key))
        new_block += "".join(s + "\n" for s in static_alias)
        return text[:first] + new_block + text[last:]
    # non-contiguous (e.g. #if between usings): remove stale, append the new ones after the last using
    out = text
    for m in reversed(plain_ours):
        if m.group(4) not in needed:
            out = out[:m.start()] + out[m.end():]
    add = "".join(f"using {ns};\n" for ns in sorted(needed - current, key=sort_key))
    ns_now = NS_RE.search(strip_source(out)[0])
    last_using = list(USING_RE.finditer(out[:ns_now.start() if ns_now else len(out)]))[-1]
    return out[:last_using.end()] + add + out[last_using.end():]


def rewrite_public_api(repo: str, projects: dict[str, Project], index: Index, check: bool) -> list[str]:
    changed = []
    for p in projects.values():
        for fn in ("PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt"):
            path = os.path.join(repo, p.directory, fn)
            if not os.path.exists(path):
                continue
            with open(path, encoding="utf-8") as f:
                old = f.read()
            new = rewrite_qualified(old, index.visible_types(p), index.visible_namespaces(p))
            if new != old:
                lines = new.split("\n")
                head = [ln for ln in lines if ln.startswith("#")]
                rest = sorted({ln for ln in lines if ln and not ln.startswith("#")}, key=lambda s: s.lower())
                new = "\n".join(head + rest) + "\n"
            if new != old:
                changed.append(os.path.relpath(path, repo))
                if not check:
                    with open(path, "w", encoding="utf-8", newline="\n") as f:
                        f.write(new)
    return changed


MD_BLOCK_RE = re.compile(r"^```(?:csharp|cs|c#)[ \t]*\n(.*?)^```", re.M | re.S)


def rewrite_markdown(repo: str, projects: dict[str, Project], index: Index, check: bool) -> list[str]:
    """C# blocks of README.md and docs/*.md that start with using directives get the same using sync as a source file
    of a program referencing every library project (tests and bench excluded)."""
    libs = [p for p in projects.values() if p.directory.startswith("src/")]
    if not libs:
        return []
    reader = Project("markdown", "", "", [p.name for p in libs])
    reader.visible = set().union(*(p.visible for p in libs))
    paths = [os.path.join(repo, "README.md")]
    docs = os.path.join(repo, "docs")
    if os.path.isdir(docs):
        paths += [os.path.join(docs, f) for f in sorted(os.listdir(docs)) if f.endswith(".md")]
    changed = []
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            old = f.read()

        def fix(m: re.Match) -> str:
            block = m.group(1)
            if not re.match(r"using\s+[A-Za-z_][\w.]*\s*;", block):
                return m.group(0)
            sf = SourceFile("markdown", reader, block)
            analyse(sf)
            new_block = process(sf, None, index, [])
            return m.group(0).replace(block, new_block, 1)

        new = MD_BLOCK_RE.sub(fix, old)
        if new != old:
            changed.append(os.path.relpath(path, repo))
            if not check:
                with open(path, "w", encoding="utf-8", newline="\n") as f:
                    f.write(new)
    return changed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = ap.parse_args()
    repo = args.repo

    projects = find_projects(repo)
    exceptions = read_exceptions(repo)
    files: list[SourceFile] = []
    for p in sorted(projects.values(), key=lambda p: p.directory):
        for dirpath, dirnames, filenames in os.walk(os.path.join(repo, p.directory)):
            dirnames[:] = sorted(d for d in dirnames if d not in ("bin", "obj")
                                 and not os.path.exists(os.path.join(dirpath, d, d + ".csproj")))
            for fn in sorted(filenames):
                if fn.endswith(".cs"):
                    rel = os.path.relpath(os.path.join(dirpath, fn), repo).replace(os.sep, "/")
                    with open(os.path.join(repo, rel), encoding="utf-8") as f:
                        files.append(SourceFile(rel, p, f.read()))
    for sf in files:
        analyse(sf)

    new_ns: dict[str, str] = {}
    for sf in files:
        if sf.namespace is not None:
            new_ns[sf.rel] = expected_namespace(sf.project, sf.rel, exceptions)
    index = Index(files, new_ns)
    if index.split_partials:
        for (p, name), nss in sorted(index.split_partials.items()):
            print(f"error: partial type {name} in {p} would be split across {sorted(nss)}; "
                  f"add its folder to {EXCEPTIONS_FILE}", file=sys.stderr)
        return 2

    clashes = []
    for p in projects.values():
        for name, nss in index.types.get(p.name, {}).items():
            for ns in nss:
                if ns.rsplit(".", 1)[-1] == name or f"{ns}.{name}" in index.all_namespaces:
                    clashes.append(f"warning: type {ns}.{name} has the name of a namespace, which hides it from code "
                                   f"in the namespace around it (if the build fails there, rename the type or add its "
                                   f"folder to {EXCEPTIONS_FILE})")
    if clashes:
        print("\n".join(sorted(set(clashes))), file=sys.stderr)

    changed, ambiguous = [], []
    for sf in files:
        new_text = process(sf, new_ns.get(sf.rel), index, ambiguous)
        if new_text != sf.text:
            changed.append(sf.rel)
            if not args.check:
                with open(os.path.join(repo, sf.rel), "w", encoding="utf-8", newline="") as f:
                    f.write(new_text)
    changed += rewrite_public_api(repo, projects, index, args.check)
    changed += rewrite_markdown(repo, projects, index, args.check)
    for line in sorted(set(ambiguous)):
        print("ambiguous (left as is): " + line, file=sys.stderr)
    verb = "would change" if args.check else "changed"
    for c in changed:
        print(f"{verb}: {c}")
    print(f"{len(changed)} file(s) {verb}", file=sys.stderr)
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
