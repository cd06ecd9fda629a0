"""Only the owner and admins manage billing: the team's own manager check (accounts), under
billing's names."""

from __future__ import annotations

from apps.accounts.permissions import MANAGER_ROLES, IsTeamManager, can_manage_team, team_manager_required

can_manage_billing = can_manage_team
billing_manager_required = team_manager_required
IsBillingManager = IsTeamManager

__all__ = ["MANAGER_ROLES", "IsBillingManager", "billing_manager_required", "can_manage_billing"]
