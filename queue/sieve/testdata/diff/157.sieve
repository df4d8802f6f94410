# 157: set :upper
require ["fileinto", "variables"];
set :upper "v" "MiXeD";
fileinto "${v}";
