# shellcheck shell=bash
# bash completion for svctl(8), the control client of the svd supervisor.
#
# Installed by `make install` as BASH_COMPLETION_DIR/svctl (by default
# DATADIR/bash-completion/completions/svctl), where bash-completion loads it
# the first time svctl is completed. Without bash-completion, source it:
#     . /usr/local/share/bash-completion/completions/svctl
#
# Completes the global options, the commands, the service names of the
# running svd (asked with `svctl status`, through the socket given by an
# earlier --socket, else $SVD_SOCKET, else svctl's default), signal names
# and log levels. Uses nothing from bash-completion, and never prints
# anything: an svd that is not running just means no service names.

# Prints the names of svd's services, one a line. $1 is the svctl to run,
# the rest are the options that pick the socket (--socket PATH, or none).
_svctl_services()
{
    local svctl=$1
    shift
    # A hung svd must not hang the shell: give up after 2 seconds.
    local -a run=()
    type -P timeout >/dev/null 2>&1 && run=(timeout 2)
    # The table: a header line, then one line per service, name first.
    # (Names are [A-Za-z0-9_.@-] only, so a word is a name.)
    "${run[@]}" "$svctl" "$@" status 2>/dev/null </dev/null |
        awk 'NR > 1 { print $1 }' 2>/dev/null
}

# Sets words and cword like COMP_WORDS and COMP_CWORD, but with the words
# that readline splits at COMP_WORDBREAKS characters other than blanks
# (such as "=", ":" and "@", as in --socket=PATH or a service web@1) joined
# again: a word and the next are one when no blank separates them in
# COMP_LINE.
_svctl_words()
{
    words=() cword=$COMP_CWORD
    if [[ -z ${COMP_LINE+set} ]]; then
        words=("${COMP_WORDS[@]}")
        return
    fi
    local i p=0 w blank
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        w=${COMP_WORDS[i]}
        blank=''
        while [[ ${COMP_LINE:p:1} == [[:blank:]] ]]; do
            ((p++))
            blank=1
        done
        if ((i > 0)) && [[ -z $blank ]]; then
            words[${#words[@]} - 1]+=$w
        else
            words+=("$w")
        fi
        ((p += ${#w}))
        ((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
    done
}

# readline replaces only the text after the last COMP_WORDBREAKS character
# of the word being completed (from that character on for "@" and "$",
# bash's special prefixes): takes what comes before it in $1, the whole
# word, off every COMPREPLY.
_svctl_trim()
{
    local word=$1 breaks=${COMP_WORDBREAKS//[[:space:]]/} j
    for ((j = ${#word} - 1; j >= 0; j--)); do
        if [[ $breaks == *"${word:j:1}"* ]]; then
            [[ ${word:j:1} == [@$] ]] || ((j++))
            local strip=${word:0:j}
            COMPREPLY=("${COMPREPLY[@]#"$strip"}")
            return
        fi
    done
}

_svctl()
{
    local -a words
    local cword
    _svctl_words
    local cur=${words[cword]} prev=''
    ((cword > 0)) && prev=${words[cword - 1]}
    local commands="start stop restart reload status signal shutdown
        log-level version reload-config update"
    local options="--socket --json --help --version"
    local signals="HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2
        PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ
        VTALRM PROF WINCH IO PWR SYS"
    local levels="error warning info debug"
    COMPREPLY=()

    # The svctl being completed: the one typed, if it can be run (so that
    # ./ctl/svctl asks the svd that this svctl goes with), else svctl.
    local svctl=${words[0]}
    [[ $svctl == \~/* ]] && svctl=$HOME/${svctl#\~/}
    type -P -- "$svctl" >/dev/null 2>&1 || svctl=svctl

    # Walk the words before the cursor: options come before the command
    # (svctl stops at the first word that is not an option), then the
    # command's arguments.
    local -a args=()
    local command='' sock='' have_sock='' word i
    for ((i = 1; i < cword; i++)); do
        word=${words[i]}
        if [[ -n $command ]]; then
            args+=("$word")
            continue
        fi
        case $word in
        --socket)
            if ((i + 1 < cword)); then
                sock=${words[i + 1]} have_sock=1
                ((i++))
            fi
            ;;
        --socket=*) sock=${word#--socket=} have_sock=1 ;;
        -*) ;;
        *) command=$word ;;
        esac
    done
    # The options that pick svd's socket: the --socket given (a ~/ in it is
    # what the shell would expand), else none (svctl then uses $SVD_SOCKET,
    # else its default).
    local -a socket=()
    if [[ -n $have_sock ]]; then
        [[ $sock == \~/* ]] && sock=$HOME/${sock#\~/}
        socket=(--socket "$sock")
    fi

    if [[ -z $command ]]; then
        if [[ $prev == --socket || $cur == --socket=* ]]; then
            # --socket PATH or --socket=PATH: a file.
            local path=$cur prefix=''
            if [[ $cur == --socket=* ]]; then
                path=${cur#--socket=} prefix=--socket=
            fi
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -P "$prefix" -f -- "$path")
        elif [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
        fi
        _svctl_trim "$cur"
        return 0
    fi

    local -a names=()
    case $command in
    start | stop | restart | reload | status)
        # Any number of names: offer those not given yet.
        local name given
        while IFS= read -r name; do
            for given in "${args[@]}"; do
                [[ $name == "$given" ]] && continue 2
            done
            names+=("$name")
        done < <(_svctl_services "$svctl" "${socket[@]}")
        mapfile -t COMPREPLY < <(compgen -W "${names[*]}" -- "$cur")
        ;;
    signal)
        case ${#args[@]} in
        0)
            mapfile -t names < <(_svctl_services "$svctl" "${socket[@]}")
            mapfile -t COMPREPLY < <(compgen -W "${names[*]}" -- "$cur")
            ;;
        1)
            # svd takes HUP, SIGHUP, -HUP (in any case) or a number.
            local prefix='' rest=${cur^^} sig list=$signals
            if [[ $rest == -* ]]; then
                prefix=- rest=${rest#-}
            fi
            if [[ $rest == SI* ]]; then
                list=''
                for sig in $signals; do list+=" SIG$sig"; done
            fi
            mapfile -t COMPREPLY < <(compgen -P "$prefix" -W "$list" -- "$rest")
            ;;
        esac
        ;;
    log-level)
        ((${#args[@]} == 0)) && mapfile -t COMPREPLY < <(compgen -W "$levels" -- "$cur")
        ;;
    reload-config)
        ((${#args[@]} == 0)) && mapfile -t COMPREPLY < <(compgen -W "--dry-run" -- "$cur")
        ;;
    esac
    _svctl_trim "$cur"
    return 0
}

complete -F _svctl svctl
