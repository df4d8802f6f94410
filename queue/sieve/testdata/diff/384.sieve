# 384: date with a trailing comment
require ["fileinto", "date", "variables"];
if date :zone "+0000" :matches "date" "time" "*" { fileinto "t${1}"; }
