"""Build step beyond pyproject.toml: the wheel carries the reference data (data/ at the repository root) as
geo/data, where geo.datadir finds it when the project is installed rather than run from a checkout."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

REFERENCE_DATA = Path(__file__).resolve().parent / "data"


class BuildWithReferenceData(build_py):
    """build_py that also copies data/* into the built geo package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads data/ in the checkout itself
            return
        target = Path(self.build_lib) / "geo" / "data"
        self.mkpath(str(target))
        for source in sorted(REFERENCE_DATA.iterdir()):
            if source.is_file():
                self.copy_file(str(source), str(target / source.name))


setup(cmdclass={"build_py": BuildWithReferenceData})
