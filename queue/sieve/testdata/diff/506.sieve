# 506: i;ascii-casemap ordering against a backslash
require ["fileinto", "relational"];
if header :value "gt" "x-bracket" "\\" { fileinto "Greater"; } else { fileinto "NotGreater"; }
