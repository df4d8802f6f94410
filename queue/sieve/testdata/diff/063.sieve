# 063: header test on From is the raw value, not an address
require "fileinto";
if header :is "from" "alice@example.net" { fileinto "Bare"; } else { fileinto "Full"; }
