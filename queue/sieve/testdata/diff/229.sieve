# 229: date of an unparsable header is false
require ["fileinto", "date", "variables"];
if date :originalzone :matches "x-when" "year" "*" { fileinto "Parsed"; } else { fileinto "Unparsed"; }
