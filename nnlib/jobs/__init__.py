"""Training jobs run in a bounded pool of worker processes, so many browser sessions can train at once.

Pages use JobManager; job functions receive a JobControl.
"""

from nnlib.jobs.control import COMMANDS, JobControl
from nnlib.jobs.manager import JobLimitError, JobManager, JobNotFound, JobView

__all__ = ["COMMANDS", "JobControl", "JobLimitError", "JobManager", "JobNotFound", "JobView"]
