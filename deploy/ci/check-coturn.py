"""Checks that coturn, as shipped, writes no log.

usage: check-coturn.py TURNSERVER_CONF COMPOSE_YAML

Even with `simple-log`, coturn logs a line per allocation with the TURN username
("<expiry>:<random>", so a join time) and client addresses on errors. The shipped configuration
must send nothing to stdout (`no-stdout-log`), write its log file to /dev/null (`log-file`, with
`simple-log` so the name is taken as is rather than suffixed with a date), and never turn on
syslog or verbose logging; nor may the command line in compose.yaml.
"""
import sys

import yaml

REQUIRED = {"no-stdout-log": None, "log-file": "/dev/null", "simple-log": None}
FORBIDDEN = {"syslog", "verbose", "Verbose", "log-binding", "new-log-timestamp"}
FORBIDDEN_SHORT = {"-v", "-V", "-l"}


def options(conf_text):
    """`name[=value]` lines of a turnserver.conf (comments and blanks left out)."""
    for line in conf_text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        yield name.strip(), value.strip().strip('"') or None


def check(conf_text, command):
    errors = []
    found = {}
    for name, value in options(conf_text):
        found[name] = value
        if name in FORBIDDEN:
            errors.append(f"turnserver.conf turns on {name}")
    for name, value in REQUIRED.items():
        if name not in found:
            errors.append(f"turnserver.conf lacks {name}")
        elif value is not None and found[name] != value:
            errors.append(f"turnserver.conf has {name}={found[name]}, not {value}")
    for word in command.split():
        name = word.split("=", 1)[0]
        if name in FORBIDDEN_SHORT or name.lstrip("-") in FORBIDDEN | set(REQUIRED):
            errors.append(f"compose.yaml's coturn command line sets {name} (logging is the config file's)")
    return errors


def main() -> int:
    conf_text = open(sys.argv[1]).read()
    compose = yaml.safe_load(open(sys.argv[2]))
    command = compose["services"]["coturn"].get("command", "")
    command = " ".join(command) if isinstance(command, list) else str(command)
    errors = check(conf_text, command)
    for e in errors:
        print("FAIL", e)
    print(f"check-coturn: {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
