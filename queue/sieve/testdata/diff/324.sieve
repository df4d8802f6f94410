# 324: require of an unknown capability
require "x-unknown-extension";
keep;
