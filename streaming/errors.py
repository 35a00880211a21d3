"""Streaming errors: English templates, translated at the edge."""

from __future__ import annotations

from typing import ClassVar

from server.errors import N_, Conflict, DomainError, Forbidden, Invalid, Unauthorized


class BadOffer(Invalid):
    template = N_("The SDP offer is not valid: %(reason)s.")
    status = 400
    code = "bad_offer"
    translated_params: ClassVar[tuple[str, ...]] = ("reason",)


class WrongContentType(DomainError):
    template = N_("Send the SDP offer with Content-Type: application/sdp.")
    status = 415
    code = "unsupported_media_type"


class WrongStreamKey(Unauthorized):
    template = N_("The stream key is not valid for this show.")
    code = "wrong_stream_key"


class NotPresenter(Forbidden):
    template = N_("Only this show's creators, its merchant and operators can go live.")
    code = "not_presenter"


class NotPublisher(Forbidden):
    template = N_("Only this show's creators, its merchant and operators can end its stream.")
    code = "not_publisher"


class AlreadyPublishing(Conflict):
    template = N_("Show %(show_id)s already has a publisher; end that stream first.")
    code = "already_publishing"


class CannotGoLive(Conflict):
    template = N_("Show %(show_id)s cannot go live: it is %(state)s.")
    code = "cannot_go_live"
    translated_params: ClassVar[tuple[str, ...]] = ("state",)


class ShowNotLive(Conflict):
    template = N_("Show %(show_id)s is not live: it is %(state)s.")
    code = "show_not_live"
    translated_params: ClassVar[tuple[str, ...]] = ("state",)


class TooManyViewers(DomainError):
    template = N_("This show is full (%(limit)d viewers). Please try again in a moment.")
    status = 503
    code = "too_many_viewers"


class SessionNotFound(DomainError):
    template = N_("This stream session does not exist or has already ended.")
    status = 404
    code = "session_not_found"


class CodecNotSupported(DomainError):
    template = N_("None of the offered %(kind)s codecs can be used; offer %(codecs)s.")
    status = 406
    code = "codec_not_supported"


class BadCandidates(Invalid):
    template = N_("Line %(line)s of the ICE candidates cannot be read.")
    status = 400
    code = "bad_candidates"


class WrongFragmentType(DomainError):
    template = N_("Send ICE candidates with Content-Type: application/trickle-ice-sdpfrag.")
    status = 415
    code = "unsupported_media_type"


class IceRestartNotSupported(DomainError):
    template = N_("ICE restarts are not supported: end this session and start a new one.")
    status = 422
    code = "ice_restart_not_supported"


class WrongNodeToken(Unauthorized):
    template = N_("Only the site's own servers can relay a show.")
    code = "wrong_node_token"


class NotOrigin(Conflict):
    template = N_("Show %(show_id)s is not published on this server.")
    code = "not_origin"
