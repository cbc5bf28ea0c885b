"""`load_system`: a hardware file (imcbench's format or ZigZag's) or a preset name, as a `System`.

It dispatches to :mod:`imcbench.hardware.config` (imcbench's YAML format), :mod:`imcbench.hardware.zigzag_yaml`
(a file with ``operational_array`` at the top level) and :mod:`imcbench.hardware.presets` (a name such as
``paper-aimc-256``); those build on the configuration, so the dispatch lives here, above all three.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from imcbench.errors import ImcbenchError
from imcbench.hardware.config import SystemConfig, build_system
from imcbench.hardware.system import System
from imcbench.yamlio import describe_validation_error, read_yaml, validate


def load_system(path: str | Path) -> System:
    """Read a hardware file (imcbench's format or a ZigZag hardware YAML with ``operational_array``),
    or build a preset by name (``paper-aimc-256``, see :mod:`imcbench.hardware.presets`)."""
    if not Path(path).exists():
        from imcbench.hardware.presets import preset

        try:
            system = preset(str(path))
        except ValidationError as exc:  # a preset name with an impossible size, e.g. paper-aimc-1000000
            raise ImcbenchError(f"preset {str(path)!r}: {describe_validation_error(exc, SystemConfig)}") from None
        if system is not None:
            return system
        from imcbench.hardware.presets import PRESETS_HELP

        if Path(path).suffix or len(Path(path).parts) > 1:  # meant as a file
            raise ImcbenchError(f"hardware file {str(path)!r} not found: check the path (or use a preset; "
                                f"{PRESETS_HELP})")
        raise ImcbenchError(f"hardware {str(path)!r} not found: it is neither a file nor a preset; {PRESETS_HELP}; "
                            "or give a hardware YAML file (see examples/)")
    data = read_yaml(path, "hardware file")
    if not isinstance(data, dict):
        raise ImcbenchError(f"{path}: a hardware file must be a YAML mapping with 'macro' and 'memories' "
                            "(or a ZigZag file with 'memories' and 'operational_array')")
    if "operational_array" in data:
        from imcbench.hardware.zigzag_yaml import system_from_zigzag

        try:
            return system_from_zigzag(data, source=str(path))
        except ImcbenchError as exc:  # errors of the macro and memory checks do not name the file yet
            message = str(exc)
            raise ImcbenchError(message if message.startswith(f"{path}:") else f"{path}: {message}") from None
    config = validate(SystemConfig, data, str(path))
    try:
        return build_system(config)
    except ImcbenchError as exc:
        raise ImcbenchError(f"{path}: {exc}") from None
