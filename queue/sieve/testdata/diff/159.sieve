# 159: set :upperfirst
require ["fileinto", "variables"];
set :upperfirst "v" "abc";
fileinto "${v}";
