"""CustomJobs: the JobService custom-job RPCs, their validation, states and monitor."""
