# 383: date with an obsolete zone name
require ["fileinto", "date", "variables"];
if date :originalzone :matches "date" "zone" "*" { fileinto "z${1}"; }
