"""Attack: plant sitecustomize.py, resource.py and other standard module names in the work folder.

First run (nothing planted yet): writes the modules, each of which would leave a `HIJACKED-*`
file and print HIJACKED when imported. Second run, in a fresh box whose working folder is the
same folder: checks that none of them was imported (the box runs Python isolated, with a
sys.path of absolute, read-only folders only).
"""

import os
import sys

NAME = "shadow_modules"
PLANTED = (
    "sitecustomize",
    "usercustomize",
    "resource",
    "runpy",
    "json",
    "glob",
    "pwd",
    "socket",
    "site",
    "signal",
    "subprocess",
    "argparse",
    "dataclasses",
    "contextlib",
    "encodings",
)


def payload(folder, name):
    return (
        f"open({folder!r} + '/HIJACKED-{name}', 'w').close()\n"
        f"print('HIJACKED {name}', flush=True)\n"
    )


def attack():
    folder = os.getcwd()
    if not os.path.exists(os.path.join(folder, "sitecustomize.py")):
        for name in PLANTED:
            if name == "encodings":
                os.makedirs(os.path.join(folder, name), exist_ok=True)
                path = os.path.join(folder, name, "__init__.py")
            else:
                path = os.path.join(folder, name + ".py")
            with open(path, "w") as file:
                file.write(payload(folder, name))
        with open(os.path.join(folder, "horn.pth"), "w") as file:
            file.write("import os; " + payload(folder, "pth").replace("\n", "; ") + "\n")
        report(False, {"phase": "plant", "planted": sorted(os.listdir(folder))})
        return
    imported = sorted(
        name
        for name, module in list(sys.modules.items())
        if os.path.dirname(os.path.abspath(getattr(module, "__file__", None) or "/"))
        in (folder, os.path.join(folder, "encodings"))
    )
    markers = sorted(name for name in os.listdir(folder) if name.startswith("HIJACKED-"))
    report(
        bool(imported or markers),
        {"phase": "check", "imported": imported, "markers": markers, "path": sys.path},
    )


attack()
