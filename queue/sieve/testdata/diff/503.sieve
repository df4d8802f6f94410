# 503: date-based sorting into year folders
require ["fileinto", "date", "variables", "mailbox"];
if date :originalzone :matches "date" "year" "*" { set "y" "${1}"; }
if date :originalzone :matches "date" "month" "*" { set "m" "${1}"; }
fileinto :create "Archive.${y}.${m}";
