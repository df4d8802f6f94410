# 221: date zone part after :zone
require ["fileinto", "date", "variables"];
if date :zone "-0330" :matches "date" "zone" "*" { fileinto "z${1}"; }
