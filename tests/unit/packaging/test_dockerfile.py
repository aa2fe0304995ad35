"""Golden text of the Dockerfile gcloud renders, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_vertex_training.packaging.dockerfile import (
    copied_paths,
    is_prebuilt_training_image,
    render_dockerfile,
)

HEADER = """\
FROM {base}
# The directory is created by root. This sets permissions so that any user can
# access the folder.
RUN mkdir -m 777 -p /usr/app /home
WORKDIR /usr/app
ENV HOME=/home

# Keeps Python from generating .pyc files in the container
ENV PYTHONDONTWRITEBYTECODE=1
"""

GOLDEN: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "script_at_root_copies_whole_dir",
        "local/python:3.11",
        {"script": "task.py"},
        HEADER.format(base="local/python:3.11")
        + """
# Copy the source directory into the docker container.
COPY [".", "."]

ENTRYPOINT ["python", "task.py"]
""",
    ),
    (
        "module_in_subpackage_with_requirements_txt",
        "local/python:3.11",
        {"python_module": "trainer.models.task", "requirements_txt": "requirements.txt"},
        HEADER.format(base="local/python:3.11")
        + """
# Found requirements.txt file, thus to the docker container.
COPY ["requirements.txt", "./requirements.txt"]
RUN pip install --no-cache-dir -r ./requirements.txt

# Copy the source directory into the docker container.
COPY ["trainer/models", "trainer/models"]

ENTRYPOINT ["python", "-m", "trainer.models.task"]
""",
    ),
    (
        "every_dependency_kind_in_gcloud_order",
        "local/python:3.11",
        {
            "script": "trainer/task.py",
            "setup_py": "setup.py",
            "requirements_txt": "requirements.txt",
            "extra_packages": ["dist/my_lib-0.1.tar.gz"],
            "requirements": ["pandas>=2", "six"],
            "extra_dirs": ["configs"],
        },
        HEADER.format(base="local/python:3.11")
        + """
# Found setup.py file, thus copy it to the docker container.
COPY ["setup.py", "./setup.py"]
RUN pip install --no-cache-dir .

# Found requirements.txt file, thus to the docker container.
COPY ["requirements.txt", "./requirements.txt"]
RUN pip install --no-cache-dir -r ./requirements.txt

COPY ["dist/my_lib-0.1.tar.gz", "my_lib-0.1.tar.gz"]
RUN pip install --no-cache-dir my_lib-0.1.tar.gz

RUN pip install --no-cache-dir --upgrade 'pandas>=2'

RUN pip install --no-cache-dir --upgrade six

COPY ["configs", "configs"]

# Copy the source directory into the docker container.
COPY ["trainer", "trainer"]

ENTRYPOINT ["python", "trainer/task.py"]
""",
    ),
    (
        "shell_script_runs_with_bash",
        "local/python:3.11",
        {"script": "run.sh"},
        HEADER.format(base="local/python:3.11")
        + """
# Copy the source directory into the docker container.
COPY [".", "."]

ENTRYPOINT ["/bin/bash", "run.sh"]
""",
    ),
    (
        "prebuilt_base_uses_python3_and_pip3",
        "us-docker.pkg.dev/vertex-ai/training/pytorch-gpu.2-4.py310:latest",
        {"python_module": "trainer.task", "requirements": ["torchmetrics"]},
        HEADER.format(base="us-docker.pkg.dev/vertex-ai/training/pytorch-gpu.2-4.py310:latest")
        + """
# Remove the sitecustomize of the prebuilt image: it is meant for
# python package runs, not for custom containers.
RUN rm -rf /var/sitecustomize

RUN pip3 install --no-cache-dir --upgrade torchmetrics

# Copy the source directory into the docker container.
COPY ["trainer", "trainer"]

ENTRYPOINT ["python3", "-m", "trainer.task"]
""",
    ),
]


@pytest.mark.parametrize(
    ("base", "kwargs", "expected"),
    [g[1:] for g in GOLDEN],
    ids=[g[0] for g in GOLDEN],
)
def test_render_matches_golden_text_when_given(base: str, kwargs: dict[str, Any], expected: str):
    assert render_dockerfile(base, **kwargs) == expected


def test_dependency_layers_come_before_the_code_copy_when_all_are_present():
    text = render_dockerfile(
        "b", script="t/x.py", requirements_txt="requirements.txt", extra_dirs=["d"]
    )
    assert text.index("requirements.txt") < text.index('COPY ["d"') < text.index('COPY ["t"')


@pytest.mark.parametrize(
    ("image", "prebuilt"),
    [
        ("us-docker.pkg.dev/vertex-ai/training/tf-cpu.2-15.py310:latest", True),
        ("europe-docker.pkg.dev/vertex-ai/training/scikit-learn-cpu.0-23:latest", True),
        ("asia-docker.pkg.dev/vertex-ai/training/xgboost-cpu.1-1:latest", True),
        ("us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-15:latest", False),
        ("us-central1-docker.pkg.dev/vertex-ai/training/tf-cpu.2-15:latest", False),
        ("python:3.11", False),
        ("local/python:3.11", False),
    ],
)
def test_prebuilt_base_detection_follows_gcloud_regex_when_image_is(image: str, prebuilt: bool):
    assert is_prebuilt_training_image(image) is prebuilt


@pytest.mark.parametrize("kwargs", [{}, {"script": "a.py", "python_module": "a"}])
def test_render_raises_when_both_or_neither_entrypoint(kwargs: dict[str, Any]):
    with pytest.raises(ValueError, match="exactly one of script or python_module"):
        render_dockerfile("b", **kwargs)


def test_copied_paths_lists_dependencies_and_script_parent_when_rendered():
    assert copied_paths(
        python_module="trainer.task",
        requirements_txt="requirements.txt",
        extra_packages=["p.whl"],
        extra_dirs=["cfg"],
    ) == ["requirements.txt", "p.whl", "cfg", "trainer"]
    assert copied_paths(script="task.py") == ["."]
