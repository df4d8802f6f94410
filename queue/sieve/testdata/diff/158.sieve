# 158: set :lowerfirst
require ["fileinto", "variables"];
set :lowerfirst "v" "ABC";
fileinto "${v}";
