# 081: the group name is not an address
require "fileinto";
if address :localpart :is "cc" "team" { fileinto "Team"; } else { fileinto "NoTeam"; }
