# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The README says what the tool does (sourced by cli_test.sh): its synopsis
# and each command's --help name the same options.
#
# What is parsed, so that a new option keeps this test green by being added
# to both places:
# - the README's synopsis is the first ``` block after "## The command-line
#   tool"; a line starting with "bpf-aot CMD" (or with another executable,
#   "bpf-aot-NAME", found beside bpf-aot) starts a command, indented lines
#   continue it; every token "-x" or "--name" there that starts the line or
#   follows a space, '[' or '|' is an option of that command;
# - in `bpf-aot CMD --help`, a line indented by at most 8 spaces and starting
#   with '-' describes one option: its leading spellings ("-o, --output"),
#   then upper-case placeholders (DIR, N) when it takes a value; the text
#   after them is its description (so a description line must be indented
#   deeper, and a spelling named only there, like an alias, is not counted);
# - `-h, --help` is documented once for all commands and is not compared.
# Each option of --help must be in the synopsis under at least one spelling,
# and each option in the synopsis must be a spelling --help lists.

readme_path() { echo "$CLI_SRC/../../README.md"; }

# "CMD<TAB>text" for each line of the README's synopsis block.
readme_synopsis() {
        awk '/^## The command-line tool/ { sec = 1; next }
             sec && /^```/ { if (inblk) exit; inblk = 1; next }
             !inblk { next }
             /^bpf-aot / { cmd = $2; line = $0; sub(/^bpf-aot +[^ ]+/, "", line)
                           print cmd "\t" line; next }
             /^bpf-aot-[A-Za-z0-9_-]+/ { cmd = $1; line = $0; sub(/^[^ ]+/, "", line)
                                         print cmd "\t" line; next }
             /^[ \t]/ && cmd != "" { print cmd "\t" $0 }' "$(readme_path)"
}

# The options the synopsis gives command $1, one per line.
readme_options() {
        readme_synopsis | awk -F '\t' -v c="$1" '$1 == c { print $2 }' |
                grep -oE '(^|[[| ])--?[A-Za-z][A-Za-z0-9_-]*' | sed 's/^[[| ]//' | sort -u
}

# The command's --help text: `bpf-aot CMD --help`, or `EXE --help` for another executable.
help_text() {
        local exe
        if [[ $1 == bpf-aot-* ]]; then
                exe=$(dirname "$BPF_AOT")/$1
                [[ -x $exe ]] || return 1
                "$exe" --help
        else
                "$BPF_AOT" "$1" --help
        fi
}

# One line per option of a --help text on stdin: its spellings, then " =" when it takes a value.
help_options() {
        awk '{ match($0, /^ */) }
             RLENGTH < 1 || RLENGTH > 8 || substr($0, RLENGTH + 1, 1) != "-" { next }
             { out = ""; val = 0
               for (i = 1; i <= NF; i++) {
                       f = $i; sub(/,$/, "", f)
                       if (f ~ /^--?[A-Za-z]/) out = out " " f
                       else if (f ~ /^[A-Z][A-Z_|]*$/) val = 1
                       else break
               }
               print substr(out, 2) (val ? " =" : "") }'
}

# The commands `bpf-aot --help` lists.
help_commands() {
        "$BPF_AOT" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
                                 on && /^  [a-z]/ { print $1 }' | sort -u
}

# The README's synopsis names every command of `bpf-aot --help`, and only those
# (other executables aside), with each option of its --help and no other.
case_readme_options() {
        local cmds cmd group spelling found opt help_opts all_spellings
        cmds=$(readme_synopsis | cut -f1 | sort -u)
        if [[ -z $cmds ]]; then
                bad "no synopsis block found in $(readme_path)"
                return
        fi
        while read -r cmd; do
                [[ -n $cmd ]] || continue
                if ! grep -qxF -- "$cmd" <<<"$cmds"; then
                        bad "'bpf-aot --help' lists the command $cmd, which the README synopsis lacks"
                fi
        done < <(help_commands)
        while read -r cmd; do
                if [[ $cmd != bpf-aot-* ]] && ! help_commands | grep -qxF -- "$cmd"; then
                        bad "the README synopsis has the command $cmd, which 'bpf-aot --help' lacks"
                        continue
                fi
                if ! help_text "$cmd" >help_$cmd.txt 2>&1; then
                        bad "the README synopsis has $cmd, but '$cmd --help' failed" \
                                "(an executable is looked for beside bpf-aot)"
                        continue
                fi
                help_opts=$(help_options <help_$cmd.txt | grep -vw -- --help)
                readme_options "$cmd" >readme_$cmd.txt
                if [[ -z $help_opts ]]; then
                        bad "$cmd --help lists no option (is its format still the one parsed?)"
                        continue
                fi
                all_spellings=""
                while read -r group; do
                        found=""
                        for spelling in $group; do
                                [[ $spelling == = ]] && continue
                                all_spellings+=" $spelling "
                                grep -qxF -- "$spelling" readme_$cmd.txt && found=$spelling
                        done
                        if [[ -n $found ]]; then
                                ok "$cmd: $found is in --help and in the README synopsis"
                        else
                                group=${group% =}
                                bad "$cmd --help lists ${group// //}, which the README synopsis" \
                                        "of $cmd lacks"
                        fi
                done <<<"$help_opts"
                while read -r opt; do
                        [[ -n $opt ]] || continue
                        if [[ $all_spellings != *" $opt "* ]]; then
                                bad "the README synopsis of $cmd has $opt, which '$cmd --help'" \
                                        "lacks"
                        fi
                done <readme_$cmd.txt
        done <<<"$cmds"
}

# No command's --help lists an option the command then refuses as an option
# (unknown, or another command's): each is given once, with a value where
# --help shows one, before an input that does not exist.
case_help_options_accepted() {
        local cmd group spelling value
        while read -r cmd; do
                [[ -n $cmd ]] || continue
                "$BPF_AOT" "$cmd" --help >help.txt
                while read -r group; do
                        value=()
                        [[ $group == *" =" ]] && value=(1)
                        for spelling in ${group% =}; do
                                [[ $spelling == -h || $spelling == --help ]] && continue
                                x timeout 20 "$BPF_AOT" "$cmd" "$spelling" "${value[@]}" \
                                        nosuch.input </dev/null
                                if grep -Eq "unknown option|is an option of" _err; then
                                        bad "$cmd --help lists $spelling, which $cmd refuses"
                                        show
                                else
                                        ok "$cmd takes $spelling"
                                fi
                        done
                done < <(help_options <help.txt)
        done < <(help_commands)
}
