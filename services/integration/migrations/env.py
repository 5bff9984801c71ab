from antre_common.migrations import run_env
from integration.models import Base

run_env(Base.metadata)
