# 169: match variables of a failed test are unchanged
require ["fileinto", "variables"];
if header :matches "subject" "Meet*" { }
if header :matches "from" "zzz*" { }
fileinto "kept-${1}";
