# 275: reject and redirect
require "reject";
redirect "bob@example.org";
reject "no";
