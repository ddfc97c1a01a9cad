#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that scripts/install-deps.sh installs everything the build and the tests used.

Collects every system file the build and the tests used (CMake cache and build.ninja paths,
headers, linked libraries, Qt platform plugins, programs run), maps each to its Debian package
and fails unless that package is named in scripts/install-deps.sh, pulled in by those packages
(Depends and Pre-Depends, never Recommends: install-deps uses --no-install-recommends), or always
present on a minimal Debian 12 (Essential: yes or Priority: required, as debootstrap
--variant=minbase installs). CI runs on a machine that keeps packages installed by hand, so a
package forgotten in install-deps.sh would otherwise only fail on a user's clean machine.

Usage: check_install_deps.py --build DIR --source DIR [--install-deps SCRIPT]
                             [--without PKG]... [--expect-missing PKG]
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass

# A clean login shell's PATH (as scripts/check-clean-debian.sh uses), never the caller's: this
# machine's PATH starts with shims (pyenv's python3) that a clean machine does not have.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CLEAN_ENV = {"PATH": SYSTEM_PATH, "LC_ALL": "C"}

# Kernel and scratch file systems: nothing there comes from a package, and nothing there is
# something a package should provide (a build rule may name /dev/null).
NOT_PACKAGE_FOLDERS = ("/dev/", "/proc/", "/sys/", "/run/", "/tmp/", "/var/tmp/")

DPKG_INFO = "/var/lib/dpkg/info"
DPKG_DIVERSIONS = "/var/lib/dpkg/diversions"

# Programs the README's scripts (scripts/*.sh) and the tests need that neither the CMake cache,
# build.ninja, the CTest commands nor the test sources show, because something else starts them.
# Tools of essential packages the scripts also run (grep, sed, seq, mktemp, dpkg-query, apt-get)
# are left out. git is not here on purpose: only scripts/check-clean-debian.sh runs it, on the
# host, never on the clean machine.
SCRIPT_PROGRAMS = {
    "cmake": "program run by scripts/build.sh",
    "ctest": "program run by scripts/test.sh",
    "ninja": "program scripts/build.sh generates for (-G Ninja)",
    "g++": "program scripts/build.sh compiles with",
    "xvfb-run": "program the XVFB tests run under",
    "Xvfb": "program xvfb-run starts",
    "xauth": "program xvfb-run runs",
    "python3": "program tst_framecodec runs docs/wire-format.md's sender with",
    "xclip": "program tst_clipboard runs",
    "import": "program for screenshots (install-deps.sh installs imagemagick for them)",
    "desktop-file-validate": "program for the desktop file check (install-deps.sh: desktop integration checks)",
    "appstreamcli": "program for the AppStream metadata check (install-deps.sh: desktop integration checks)",
    "dbus-daemon": "program PrivateSessionBus (core/bench) starts for tst_dbus, the transfer matrix and the benchmark",
    "wine": "program the Wine tests run the Windows drivers with",
    "wineserver": "program wine and the wine_prefix tests run",
    "dpkg-shlibdeps": "program cpack -G DEB runs for the Depends, cmake/IpcwDebianPackages.cmake",
    "file": "program cpack -G DEB runs to find the binaries to give dpkg-shlibdeps",
    "dpkg-deb": "program for the .deb packages, cmake/IpcwDebianPackages.cmake",
}

# How the test sources start a program by name: findExecutable(QStringLiteral("xclip")),
# process.start(QStringLiteral("xclip"), ...), setProgram(...), QProcess::execute(...).
PROGRAM_LOOKUP = re.compile(
    r'\b(?:findExecutable|start|startDetached|execute|setProgram)\(\s*QStringLiteral\("([^"/]+)"\)')

KINDS = {  # kind: what the summary calls it; offending files are listed in this order
    "cmake": "CMake cache paths",
    "build": "build.ninja paths",
    "program": "programs",
    "plugin": "Qt platform plugins",
    "library": "libraries",
    "header": "headers",
}
EXAMPLES_PER_PACKAGE = 5


@dataclass(frozen=True)
class Use:
    """A system file the build or the tests needed, and why."""
    path: str
    kind: str
    why: str


def kind_order(use):
    return list(KINDS).index(use.kind), use.path


def run(command, cwd=None):
    return subprocess.run(command, cwd=cwd, env=CLEAN_ENV, check=True, text=True,
                          stdout=subprocess.PIPE, errors="surrogateescape").stdout


def resolve_program(name):
    return shutil.which(name, path=SYSTEM_PATH)


class Trees:
    """The source and build trees: what is inside them is the project's own."""

    def __init__(self, *roots):
        self.roots = [os.path.realpath(r) for r in roots]

    def contains(self, path):
        real = os.path.realpath(path)
        return any(real == r or real.startswith(r + os.sep) for r in self.roots)

    def is_system_file(self, path):
        return (os.path.isabs(path) and not path.startswith(NOT_PACKAGE_FOLDERS)
                and os.path.exists(path) and not self.contains(path))


# ---- what the build used: CMake cache, build.ninja, headers --------------------------------

def read_cmake_cache(build):
    entries = {}
    entry = re.compile(r"^([A-Za-z0-9_.+-]+):([A-Z]+)=(.*)$")
    with open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            match = entry.match(line.rstrip("\n"))
            if match:
                entries[match.group(1)] = (match.group(2), match.group(3))
    return entries


def cache_value(cache, name):
    return cache.get(name, ("", ""))[1]


def cmake_package_file(folder, entry_name):
    """The <Name>Config.cmake a *_DIR entry points at, or None when it is no package folder."""
    name = entry_name[:-len("_DIR")]
    for file_name in (f"{name}Config.cmake", f"{name.lower()}-config.cmake"):
        candidate = os.path.join(folder, file_name)
        if os.path.isfile(candidate):
            return candidate
    return None


def looks_like_library(path):
    return re.search(r"/lib[^/]*\.(so(\.[0-9.]+)?|a)$", path) is not None


def cache_uses(cache, trees, build_paths, notes):
    """*_DIR entries and PATH/FILEPATH entries naming a system file: compilers, find_program
    and find_library results, package folders."""
    uses, unused_libraries = [], []
    for name, (kind, value) in sorted(cache.items()):
        if not (name.endswith("_DIR") or kind in ("PATH", "FILEPATH")):
            continue
        # Install destinations are written by `cmake --install`, not read by the build.
        if name.startswith("CMAKE_INSTALL_") or not trees.is_system_file(value):
            continue
        # A find_library result no link line uses (FindOpenGL also looks for EGL and GLU) would
        # be NOTFOUND on a clean machine without harm.
        if looks_like_library(value) and value not in build_paths:
            unused_libraries.append(name)
            continue
        package_file = cmake_package_file(value, name) if name.endswith("_DIR") else None
        if package_file:
            uses.append(Use(package_file, "cmake", f"CMake package {name}"))
        else:
            uses.append(Use(value, "cmake", f"CMake cache {name}"))
    if unused_libraries:
        notes.append("not checked, found by CMake but linked by nothing: " + ", ".join(unused_libraries))
    return uses


def paths_named_by_build_files(build):
    """Absolute paths in build.ninja and rules.ninja: compilers, moc, -I folders, link lines,
    the CMake files a re-configure reads."""
    paths = set()
    ninja_files = glob.glob(os.path.join(build, "*.ninja"))
    ninja_files += glob.glob(os.path.join(build, "CMakeFiles", "*.ninja"))
    for ninja_file in ninja_files:
        with open(ninja_file, encoding="utf-8", errors="surrogateescape") as f:
            for token in re.split(r"[\s\"';,:=]+", f.read()):
                token = re.sub(r"^(-I|-L|-isystem)", "", token)
                if token.startswith("/"):
                    paths.add(os.path.normpath(token))
    return paths


def build_file_uses(build_paths, trees):
    return [Use(p, "build", "named by build.ninja") for p in sorted(build_paths) if trees.is_system_file(p)]


def header_uses(build, source, trees, cache):
    """Every header the compiler read, from the depfiles ninja keeps (`ninja -t deps`)."""
    ninja = cache_value(cache, "CMAKE_MAKE_PROGRAM") or resolve_program("ninja")
    uses = {}
    compiled = None
    for line in run([ninja, "-C", build, "-t", "deps"]).splitlines():
        if not line.startswith(" "):  # "<object>: #deps N, ..."; its first dependency is the source
            compiled = None
            continue
        path = line.strip()
        if compiled is None:
            compiled = os.path.relpath(path, source) if os.path.isabs(path) else path
        if path not in uses and trees.is_system_file(path):
            uses[path] = Use(path, "header", f"header included by {compiled}")
    return list(uses.values())


# ---- what the built binaries load ----------------------------------------------------------

def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def built_elf_files(build):
    """Executables, libraries and plugins under bin/ and lib/; symlinks to them only once, and
    the Windows .exe files (under wine/, and not ELF) never."""
    files = []
    for top in ("bin", "lib"):
        for folder, _, names in os.walk(os.path.join(build, top)):
            for name in names:
                path = os.path.join(folder, name)
                if not os.path.islink(path) and os.path.isfile(path) and is_elf(path):
                    files.append(path)
    return sorted(files)


def linked_libraries(binary, problems):
    """(resolved paths, names ldd could not find) of what the dynamic loader loads for binary."""
    found, not_found = [], []
    ldd = subprocess.run(["ldd", binary], env=CLEAN_ENV, text=True, errors="surrogateescape",
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if ldd.returncode != 0:
        if "not a dynamic executable" not in ldd.stdout:  # a static binary loads nothing
            problems.append(f"LDD FAILED  {binary}: {ldd.stdout.strip()}")
        return found, not_found
    for line in ldd.stdout.splitlines():
        line = line.strip()
        if "=> not found" in line:
            not_found.append(line.split()[0])
        elif "=>" in line:
            target = line.split("=>", 1)[1].split("(")[0].strip()
            if target:
                found.append(target)
        elif line.startswith("/"):  # the loader itself: "/lib64/ld-linux-x86-64.so.2 (0x...)"
            found.append(line.split()[0])
    return found, not_found


def library_uses(binaries, trees, problems, label):
    uses = {}
    for binary in binaries:
        found, not_found = linked_libraries(binary, problems)
        for name in not_found:
            problems.append(f"NOT FOUND  {name}  (library linked by {label(binary)}): ldd cannot find it, "
                            "so its package cannot be checked. Is the build complete?")
        for path in found:
            if path not in uses and trees.is_system_file(path):
                uses[path] = Use(path, "library", f"library linked by {label(binary)}")
    return list(uses.values())


def ctest_tests(build, cache):
    ctest = cache_value(cache, "CMAKE_CTEST_COMMAND") or resolve_program("ctest")
    return json.loads(run([ctest, "--show-only=json-v1"], cwd=build)).get("tests", [])


def test_environment(test):
    for prop in test.get("properties", []):
        if prop["name"] == "ENVIRONMENT":
            return dict(item.split("=", 1) for item in prop["value"] if "=" in item)
    return {}


def qt_platform_plugin_uses(tests, cache, trees, problems):
    """The Qt platform plugins the tests ask for (QT_QPA_PLATFORM), which Qt loads by name at
    run time, so neither ldd nor the link lines show them."""
    qt_core = cache_value(cache, "Qt6Core_DIR")
    if not qt_core:
        return []
    platforms = os.path.join(os.path.dirname(os.path.dirname(qt_core)), "qt6", "plugins", "platforms")
    uses = {}
    for test in tests:
        platform = test_environment(test).get("QT_QPA_PLATFORM")
        if not platform:
            continue
        path = os.path.join(platforms, f"libq{platform}.so")
        if path in uses:
            continue
        why = f"Qt platform plugin test {test['name']} loads (QT_QPA_PLATFORM={platform})"
        if not os.path.exists(path):
            problems.append(f"NOT FOUND  {path}  ({why}): no such file.")
        elif trees.is_system_file(path):
            uses[path] = Use(path, "plugin", why)
    return list(uses.values())


# ---- what the tests and scripts run --------------------------------------------------------

def program_use(name_or_path, why, problems):
    if os.path.isabs(name_or_path):
        path, where = name_or_path, "does not exist"
    else:
        path, where = resolve_program(name_or_path), f"is not on the system PATH {SYSTEM_PATH}"
    if path is None or not os.path.exists(path):
        problems.append(f"NOT FOUND  {name_or_path}  ({why}) {where}: run scripts/install-deps.sh.")
        return None
    return Use(path, "program", why)


def ctest_programs(tests, trees):
    """(program, why) for each CTest command word and absolute-path argument outside the trees."""
    programs = []
    for test in tests:
        why = f"program run by test {test['name']}"
        for position, word in enumerate(test.get("command") or []):
            own = os.path.isabs(word) and trees.contains(word)
            if not own and (position == 0 or trees.is_system_file(word)):
                programs.append((word, why))
    return programs


def test_source_programs(source):
    """(name, why) for each program a test source looks up or starts by a literal name."""
    programs = []
    for pattern in ("tests/**/*.cpp", "tests/**/*.h"):
        for path in sorted(glob.glob(os.path.join(source, pattern), recursive=True)):
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                names = sorted(set(PROGRAM_LOOKUP.findall(f.read())))
            programs += [(name, f"program run by {os.path.relpath(path, source)}") for name in names]
    return programs


def program_uses(tests, source, trees, problems):
    uses = []
    wanted = ctest_programs(tests, trees) + test_source_programs(source) + list(SCRIPT_PROGRAMS.items())
    for name, why in wanted:
        use = program_use(name, why, problems)
        if use and not trees.contains(use.path):
            uses.append(use)
    return uses


def collect_uses(build, source, trees, problems, notes):
    cache = read_cmake_cache(build)
    build_paths = paths_named_by_build_files(build)
    tests = ctest_tests(build, cache)
    plugins = qt_platform_plugin_uses(tests, cache, trees, problems)
    binaries = built_elf_files(build)
    uses = (cache_uses(cache, trees, build_paths, notes)
            + build_file_uses(build_paths, trees)
            + program_uses(tests, source, trees, problems)
            + plugins
            + library_uses(binaries, trees, problems, lambda b: os.path.relpath(b, build))
            + library_uses([p.path for p in plugins], trees, problems, lambda p: p)
            + header_uses(build, source, trees, cache))
    return first_use_of_each_path(uses)


def first_use_of_each_path(uses):
    """One use per path: the first kind in KINDS that names it explains it best."""
    first = {}
    for use in sorted(uses, key=lambda u: list(KINDS).index(u.kind)):
        first.setdefault(use.path, use)
    return list(first.values())


# ---- which package owns a file ------------------------------------------------------------

# Merged /usr: dpkg knows a file under one spelling (/lib/x86_64-linux-gnu/libc.so.6) while
# ldd or a cache may name it under the other (/usr/lib/x86_64-linux-gnu/libc.so.6).
MERGED_USR_FOLDERS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def other_usr_spelling(path):
    for folder in MERGED_USR_FOLDERS:
        if path.startswith(folder + "/"):
            return "/usr" + path
        if path.startswith("/usr" + folder + "/"):
            return path[len("/usr"):]
    return None


def spellings(path):
    """Names to look a path up under, most literal first: as given, with its folders resolved,
    fully resolved (alternatives: /usr/bin/c++ -> /etc/alternatives/c++ -> /usr/bin/g++-12),
    each also in its other merged-/usr spelling."""
    names = []
    resolved_folder = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    for name in (path, resolved_folder, os.path.realpath(path)):
        for spelling in (name, other_usr_spelling(name)):
            if spelling and spelling not in names:
                names.append(spelling)
    return names


def read_diversions():
    """(diverted path, where the original went, diverting package) from dpkg's records."""
    with open(DPKG_DIVERSIONS, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().splitlines()
    return [tuple(lines[i:i + 3]) for i in range(0, len(lines) - 2, 3)]


def package_owners(wanted):
    """{path: packages} for the wanted paths, read once from dpkg's file lists
    (/var/lib/dpkg/info/*.list): much faster than one `dpkg -S` per file."""
    diversions = read_diversions()
    wanted = set(wanted) | {diverted for diverted, _, _ in diversions}
    listed = defaultdict(set)
    for list_file in glob.glob(os.path.join(DPKG_INFO, "*.list")):
        package = os.path.basename(list_file)[:-len(".list")].split(":")[0]
        with open(list_file, encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                path = line.rstrip("\n")
                if path in wanted:
                    listed[path].add(package)
    # A diverted path holds the diverting package's file; the original moved away. Package ":"
    # is a local diversion by the administrator: no package's file.
    owners = defaultdict(set, {path: set(packages) for path, packages in listed.items()})
    for diverted, moved_to, by in diversions:
        owners[moved_to] |= listed.get(diverted, set()) - {by}
        owners[diverted] = {by} - {":"}
    return owners


def owners_of(path, owners):
    for spelling in spellings(path):
        if owners.get(spelling):
            return owners[spelling]
    return set()


# ---- what install-deps.sh installs ---------------------------------------------------------

def listed_packages(install_deps):
    return run(["/bin/bash", install_deps, "--list"]).split()


def dependency_names(field):
    """'a (>= 1) | b:any, c [amd64]' -> [['a', 'b'], ['c']]: versions and architectures dropped."""
    groups = []
    for group in field.split(","):
        names = [re.sub(r"\(.*?\)|\[.*?\]|<.*?>", "", alternative).strip().split(":")[0]
                 for alternative in group.split("|")]
        names = [n for n in names if n]
        if names:
            groups.append(names)
    return groups


class InstalledPackages:
    """The installed packages' Depends, Pre-Depends and Provides, from dpkg's records."""

    FIELDS = ("Package", "db:Status-Abbrev", "Essential", "Priority", "Depends", "Pre-Depends", "Provides")

    def __init__(self):
        self.depends = defaultdict(list)   # package: its groups of alternatives
        self.providers = defaultdict(set)  # virtual package: installed packages providing it
        self.base = set()                  # what a minbase system always has
        query_format = "\t".join(f"${{{field}}}" for field in self.FIELDS) + "\n"
        for line in run(["dpkg-query", "-W", "-f=" + query_format]).splitlines():
            package, status, essential, priority, depends, pre_depends, provides = line.split("\t")
            if status[1:2] not in ("i", "W", "t"):  # installed, possibly with triggers pending
                continue
            self.depends[package] += dependency_names(depends) + dependency_names(pre_depends)
            for group in dependency_names(provides):
                self.providers[group[0]].add(package)
            if essential == "yes" or priority == "required":
                self.base.add(package)

    def is_installed(self, name):
        return name in self.depends or name in self.providers

    def candidates(self, name):
        """The installed packages that satisfy a name: itself, or a virtual name's providers."""
        return [name] if name in self.depends else sorted(self.providers.get(name, ()))

    def choose(self, group):
        """As apt on a clean machine: the first alternative if installed, else the first installed."""
        for name in group:
            if self.is_installed(name):
                return self.candidates(name)
        return []

    def dependents(self, package):
        return sorted(p for p, groups in self.depends.items() if any(package in g for g in groups))


def dependency_closure(start, installed):
    """Every package the start packages pull in through Depends and Pre-Depends."""
    closure, queue, choices = set(), [p for p in start if installed.is_installed(p)], []
    while queue:
        while queue:
            package = queue.pop()
            if package in closure:
                continue
            closure.add(package)
            for group in installed.depends.get(package, []):
                candidates = installed.choose(group)
                if len(candidates) == 1:
                    queue += candidates
                elif candidates:
                    choices.append(candidates)
        # A virtual package with several installed providers needs only one: one the closure
        # already has, else the first.
        for candidates in choices:
            if not closure.intersection(candidates):
                queue.append(candidates[0])
                break
    return closure


# ---- verdict -------------------------------------------------------------------------------

def unowned_is_fine(path):
    # update-alternatives' own records; the files alternatives point at are checked by realpath.
    return path.startswith("/var/lib/dpkg/alternatives/")


def find_offenders(uses, owners, closure, problems):
    """{owning packages: uses} for the files whose packages install-deps.sh does not bring."""
    offenders = defaultdict(list)
    for use in uses:
        packages = owners_of(use.path, owners)
        if not packages:
            if not unowned_is_fine(use.path):
                problems.append(f"NOT OWNED  {use.path}  ({use.why}) is not from any Debian package.")
        elif not packages & closure:
            offenders[tuple(sorted(packages))].append(use)
    return offenders


def fixes_for(offenders, installed):
    """{owning packages: packages to add}: the missing package that pulls in the most of the
    others, so one forgotten package (cmake) gives one instruction, not one more for each
    package it pulls in (cmake-data)."""
    single = sorted({owners[0] for owners in offenders if len(owners) == 1})
    reach = {p: dependency_closure([p], installed).intersection(single) for p in single}
    fixes = {}
    for owners in offenders:
        covering = [q for q in single if owners[0] in reach[q]] if len(owners) == 1 else []
        fixes[owners] = (max(covering, key=lambda q: len(reach[q])),) if covering else owners
    return fixes


def missing_report(fix, entries, script_name, installed):
    """A few MISSING lines for one package to add, each with the instruction."""
    add = f'add "{fix[0]}"' if len(fix) == 1 else "add one of " + ", ".join(f'"{p}"' for p in fix)
    entries = sorted(entries, key=lambda entry: kind_order(entry[1]))
    lines = []
    for owners, use in entries[:EXAMPLES_PER_PACKAGE]:
        via = "" if owners == fix else f" (which pulls {', '.join(owners)} in)"
        lines.append(f"MISSING  {use.path}  ({use.why})  is in package {', '.join(owners)}, which "
                     f"{script_name} neither names nor pulls in: {add} to its packages list{via}.")
    if len(entries) > EXAMPLES_PER_PACKAGE:
        packages = ", ".join(sorted({p for owners, _ in entries for p in owners}))
        lines.append(f"         ... and {len(entries) - EXAMPLES_PER_PACKAGE} more files from {packages}.")
    pulled_in_by = sorted({d for p in fix for d in installed.dependents(p)})[:3]
    if pulled_in_by:
        lines.append(f"         (installed here, these would pull {', '.join(fix)} in: {', '.join(pulled_in_by)})")
    return lines


def report_missing(offenders, script_name, installed):
    """Prints the MISSING lines grouped by the package to add; returns those packages."""
    fixes = fixes_for(offenders, installed)
    entries = defaultdict(list)
    for owners, uses in offenders.items():
        entries[fixes[owners]] += [(owners, use) for use in uses]
    for fix in sorted(entries):
        print("\n".join(missing_report(fix, entries[fix], script_name, installed)))
    return [" or ".join(fix) for fix in sorted(entries)]


def expectation_verdict(expected, offenders):
    """Self-test mode: passes only when the check fails and reports the expected package."""
    reported = sorted((u for packages, uses in offenders.items() if expected in packages for u in uses),
                      key=kind_order)
    if not reported:
        print(f"install-deps self-test FAILED: expected {expected} to be reported missing; "
              f"reported: {' '.join(sorted({p for owners in offenders for p in owners})) or 'nothing'}.")
        return 1
    print(f"install-deps self-test passed: as expected, {expected} is reported missing "
          f"({len(reported)} files, e.g. {reported[0].path} for {reported[0].why}).")
    return 0


def summary(uses, start, closure, installed, script_name):
    counts = ", ".join(f"{sum(u.kind == k for u in uses)} {label}" for k, label in KINDS.items())
    return (f"install-deps check passed: {counts} checked; {len(start)} packages listed in "
            f"{script_name}, {len(closure)} with what they pull in and the "
            f"{len(installed.base)} essential/required ones.")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True, help="the build tree, completely built")
    parser.add_argument("--source", required=True, help="the source tree")
    parser.add_argument("--install-deps", metavar="SCRIPT", help="default: <source>/scripts/install-deps.sh")
    parser.add_argument("--without", action="append", default=[], metavar="PKG",
                        help="pretend install-deps.sh does not name PKG (repeatable)")
    parser.add_argument("--expect-missing", metavar="PKG",
                        help="self-test: succeed only when the check fails and reports PKG missing")
    arguments = parser.parse_args()
    arguments.build = os.path.abspath(arguments.build)
    arguments.source = os.path.abspath(arguments.source)
    arguments.install_deps = os.path.abspath(
        arguments.install_deps or os.path.join(arguments.source, "scripts", "install-deps.sh"))
    return arguments


def start_packages(arguments):
    listed = listed_packages(arguments.install_deps)
    for package in arguments.without:
        if package not in listed:
            sys.exit(f"check_install_deps: --without {package}: {arguments.install_deps} does not name it.")
    return [p for p in listed if p not in arguments.without]


def display_name(path, source):
    inside = os.path.commonpath([path, source]) == source
    return os.path.relpath(path, source) if inside else path


def main():
    arguments = parse_arguments()
    script_name = display_name(arguments.install_deps, arguments.source)
    trees = Trees(arguments.source, arguments.build)
    problems, notes = [], []

    start = start_packages(arguments)
    installed = InstalledPackages()
    for package in start:
        if not installed.is_installed(package):
            problems.append(f"NOT INSTALLED  {package}: {script_name} names it but it is not installed "
                            f"here, so what it pulls in is unknown: run {script_name} first.")
    closure = dependency_closure(start + sorted(installed.base), installed)

    uses = collect_uses(arguments.build, arguments.source, trees, problems, notes)
    owners = package_owners(spelling for use in uses for spelling in spellings(use.path))
    offenders = find_offenders(uses, owners, closure, problems)

    to_add = report_missing(offenders, script_name, installed)
    for line in problems + [f"note: {note}" for note in notes]:
        print(line)
    if arguments.expect_missing:
        return expectation_verdict(arguments.expect_missing, offenders)
    if offenders or problems:
        print(f"install-deps check FAILED: {len(to_add)} package(s) to add to {script_name}"
              f"{': ' + ', '.join(to_add) if to_add else ''}; {len(problems)} other problem(s).")
        return 1
    print(summary(uses, start, closure, installed, script_name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
