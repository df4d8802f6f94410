# 228: date of a missing header is false
require ["fileinto", "date", "variables"];
if date :originalzone :matches "resent-date" "year" "*" { fileinto "Has"; } else { fileinto "None"; }
