# 171: string test
require ["fileinto", "variables"];
set "x" "hello world";
if string :contains "${x}" "lo wo" { fileinto "Str"; }
