# 220: date zone part
require ["fileinto", "date", "variables"];
if date :originalzone :matches "date" "zone" "*" { fileinto "z${1}"; }
