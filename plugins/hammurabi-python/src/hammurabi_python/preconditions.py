"""The article's HasStack precondition, exactly as published."""

import yaml

from pathlib import Path
from typing import Any, Dict, Iterable

from hammurabi.preconditions.base import Precondition

class ServiceYamlMixin:
    service_config: Dict[str, Any] = dict()

    def _load_service_yaml(self):
        try:
            self.service_config = yaml.safe_load(Path("service.yml").read_text())
        except FileNotFoundError:
            self.service_config = {}

class HasStack(Precondition, ServiceYamlMixin):
    def __init__(self, stacks: Iterable[str] = (), **kwargs):
        stacks = self.validate(stacks, required=True)
        super().__init__(None, stacks, **kwargs)

    def pre_task_hook(self):
        self._load_service_yaml()

    def task(self) -> bool:
        return self.service_config.get("stack") in self.param
