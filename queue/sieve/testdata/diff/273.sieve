# 273: reject and keep conflict
require "reject";
keep;
reject "no";
