"""What the pages' handlers receive: the app's objects by name, and form bodies."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import MultipartBody, URLEncodedBody

from services.web.config import WebSettings
from services.web.render import Pages
from services.web.service import WebService
from services.web.signin import OidcClient

PagesDep = NamedDependency[Pages]
WebDep = NamedDependency[WebService]
SettingsDep = NamedDependency[WebSettings]
OidcDep = NamedDependency[OidcClient]
#: A submitted form (application/x-www-form-urlencoded).
FormBody = URLEncodedBody[dict[str, str]]
#: A form with a file (multipart/form-data).
UploadBody = MultipartBody[dict[str, UploadFile | Any]]
