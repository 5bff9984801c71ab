from antre_common.migrations import run_env
from payment.models import Base

run_env(Base.metadata)
