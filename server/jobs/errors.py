from __future__ import annotations

from server.errors import N_, Conflict, Forbidden, Invalid, NotFound


class JobNotFound(NotFound):
    template = N_("Job %(job_id)s does not exist.")
    code = "job_not_found"


class ApplicationNotFound(NotFound):
    template = N_("Application %(application_id)s does not exist.")
    code = "application_not_found"


class ProfileNotFound(NotFound):
    template = N_("This creator has no public profile.")
    code = "profile_not_found"


class BadJobInput(Invalid):
    pass


class NotYourJob(Forbidden):
    template = N_("Only the merchant who posted this job can change it.")
    code = "not_your_job"


class JobConflict(Conflict):
    code = "job_conflict"


class BadReview(Invalid):
    code = "bad_review"


class ReviewRefused(Forbidden):
    code = "review_refused"


class ReviewConflict(Conflict):
    code = "review_conflict"
