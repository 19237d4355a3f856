"""The qualscale pytest plugin once a delivery activates it (private; see docs/pytest-plugin.md).

``_qualscale_pytestplugin`` is the front door pytest loads; this package is imported
only when a session plans a delivery: ``settings`` reads the options and ini keys,
``kinds`` maps tests to kinds, ``activate`` loads what the settings name and plans,
``session`` follows the session and judges its evidence.
"""
