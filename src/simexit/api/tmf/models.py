"""TM Forum request parts simexit keeps and shows again. Only what is validated here is stored
and echoed: an attribute simexit does not know is dropped, so an answer always conforms to the
spec's schema whatever a client sent."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# TM Forum's camelCase on the wire; unknown attributes are ignored.
TMF_MODEL = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True)
# PostgreSQL stores no NUL character in text (nor JSONB): refused in the request, with its field.
NO_NUL = "^[^\\x00]*$"
Text = Annotated[str, Field(max_length=2000, pattern=NO_NUL)]
ShortText = Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
Name = Annotated[str, Field(max_length=200, pattern=NO_NUL)]


class RelatedPartyIn(BaseModel):
    model_config = TMF_MODEL

    id: ShortText
    referred_type: Annotated[
        str, Field(min_length=1, max_length=100, alias="@referredType", pattern=NO_NUL)
    ]
    href: Text | None = None
    name: Name | None = None
    role: Name | None = None


class NoteIn(BaseModel):
    model_config = TMF_MODEL

    text: Text
    id: ShortText | None = None
    author: Name | None = None
    date: Annotated[str, Field(max_length=40, pattern=NO_NUL)] | None = None


class ContactPointIn(BaseModel):
    """A TMF681 `Receiver` or `Sender`."""

    model_config = TMF_MODEL

    id: ShortText | None = None
    name: Name | None = None
    phone_number: Annotated[str, Field(max_length=30, pattern=NO_NUL)] | None = None
    email: Annotated[str, Field(max_length=320, pattern=NO_NUL)] | None = None
    app_user_id: Name | None = None
    ip: Annotated[str, Field(max_length=50, pattern=NO_NUL)] | None = None
    party: RelatedPartyIn | None = None
