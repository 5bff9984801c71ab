from antre_common.migrations import run_env
from scheduling.models import Base

run_env(Base.metadata)
