# 445: set :upperfirst on an empty string
require ["fileinto", "variables"];
set :upperfirst "v" "";
fileinto "x${v}x";
