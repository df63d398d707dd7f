"""Bodies of the ES2+ functions the SM-DP+ calls on simexit, in GSMA SGP.22's JSON shape
(§5.3, §6.5: camelCase names, a `header` in every request and answer)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.alias_generators import to_camel

from simexit.api.validators import BoundedTimestamp, Iccid, ShortText

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[!-~]+$")]


class Sgp22Input(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=False)


class RequestHeader(Sgp22Input):
    function_requester_identifier: Identifier
    function_call_identifier: Identifier


class StatusCodeData(Sgp22Input):
    subject_code: Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)*$", max_length=20)]
    reason_code: Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)*$", max_length=20)]
    subject_identifier: ShortText | None = None
    message: ShortText | None = None


class ExecutionStatus(Sgp22Input):
    status: Literal["Executed-Success", "Executed-WithWarning", "Failed", "Expired"]
    status_code_data: StatusCodeData | None = None


class DownloadProgressInfo(Sgp22Input):
    """ES2+.HandleDownloadProgressInfo (SGP.22 §5.3.5): how far a profile's download came."""

    header: RequestHeader
    eid: Annotated[str, StringConstraints(pattern=r"^[0-9]{32}$")] | None = None
    iccid: Iccid = Field(description="The profile's ICCID; a trailing F of padding is dropped.")
    profile_type: ShortText
    timestamp: BoundedTimestamp
    notification_point_id: Annotated[int, Field(ge=1, le=99)]
    notification_point_status: ExecutionStatus
    result_data: Annotated[str, StringConstraints(max_length=4096)] | None = Field(
        default=None, description="Base64 of the ProfileInstallationResult, kept as given."
    )

    @model_validator(mode="before")
    @classmethod
    def _padding(cls, data: Any) -> Any:
        iccid = data.get("iccid") if isinstance(data, dict) else None
        if isinstance(iccid, str) and iccid.endswith("F"):
            return {**data, "iccid": iccid[:-1]}
        return data


class FunctionExecutionStatus(BaseModel):
    status: Literal["Executed-Success"] = "Executed-Success"


class ResponseHeader(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, serialize_by_alias=True)

    function_execution_status: FunctionExecutionStatus = Field(
        default_factory=FunctionExecutionStatus
    )


class HeaderOnlyResponse(BaseModel):
    """SGP.22's answer of a function that returns nothing but its status."""

    header: ResponseHeader = Field(default_factory=ResponseHeader)
