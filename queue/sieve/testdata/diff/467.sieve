# 467: date with :zone +1400
require ["fileinto", "date", "variables"];
if date :zone "+1400" :matches "date" "date" "*" { fileinto "${1}"; }
