# 224: date std11
require ["fileinto", "date", "variables"];
if date :originalzone :matches "date" "std11" "*" { fileinto "${1}"; }
