"""`Config`: a dict of named values that is also read and written as attributes, and can be
frozen."""

import copy
import difflib
import json

# Attribute names that belong to the object itself; every other attribute is a config entry.
_OWN_ATTRIBUTES = frozenset({"_config", "_frozen"})


class Config:
    """A dict-like container of named values, as `keras.utils.Config`.

    Values are set and read as attributes (`config.seed = 1`) or items (`config["seed"]`);
    `freeze()` forbids further changes; `to_json()` writes the values as JSON.

    Args:
        **kwargs: the initial entries.

    Example:
        >>> config = Config(learning_rate=0.1)
        >>> config.momentum = 0.9
        >>> config["learning_rate"], config.momentum
        (0.1, 0.9)
        >>> config.freeze()
        >>> config.momentum = 0.5
        Traceback (most recent call last):
        ...
        ValueError: Cannot mutate attribute(s) because the config is frozen.
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        """Whether the config refuses changes."""
        return self._frozen

    def freeze(self):
        """Marks the config as frozen: setting, updating or deleting entries raises."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        """Allows changes again."""
        object.__setattr__(self, "_frozen", False)

    def _raise_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        """Returns a shallow copy of the entries as a plain dict."""
        return copy.copy(self._config)

    def to_json(self):
        """Returns the entries as a JSON string."""
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def pop(self, *args):
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def __setattr__(self, name, value):
        if name in _OWN_ATTRIBUTES or name in type(self).__dict__:
            raise AttributeError(f"Cannot set {name!r}: it is a Config method or property.")
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        # Only called when normal lookup fails, so methods and properties never reach here.
        config = object.__getattribute__(self, "_config")
        if name in config:
            return config[name]
        message = f"Unknown attribute: '{name}'."
        closest = difflib.get_close_matches(name, list(config), n=1, cutoff=0.7)
        if closest:
            message += f" Did you mean '{closest[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key, item):
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __iter__(self):
        return iter(sorted(self._config))

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"
