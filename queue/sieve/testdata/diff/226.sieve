# 226: date time minute second
require ["fileinto", "date", "variables"];
if date :originalzone :matches "date" "time" "*" { set "t" "${1}"; }
if date :originalzone :matches "date" "minute" "*" { set "m" "${1}"; }
if date :originalzone :matches "date" "second" "*" { set "s" "${1}"; }
fileinto "${t}_${m}_${s}";
